"""Kubernetes manifests: a pod's `nodeSelector` on `kubernetes.io/arch`; the Terraform kubernetes
provider's pod spec: its `node_selector`; a Terraform `helm_release` of a chart: a `set` of the
chart's `nodeSelector` value (the name `helm create` charts read); a `kubernetes_manifest` written in
HCL: the manifest's `nodeSelector` as an HCL map."""

from __future__ import annotations

from archmatch.model import Service


class Workloads:
    def token(self, service: Service, arch: str) -> str:
        return arch

    def block(self, service: Service, arch: str) -> str:
        return f"nodeSelector:\n  kubernetes.io/arch: {arch}"

    def declaration(self, service: Service, arch: str, json_file: bool) -> str:
        return f"nodeSelector: {{kubernetes.io/arch: {arch}}}"


class TerraformWorkloads:
    def token(self, service: Service, arch: str) -> str:
        return f'"{arch}"'

    def block(self, service: Service, arch: str) -> str:
        return f'node_selector = {{\n  "kubernetes.io/arch" = "{arch}"\n}}'

    def declaration(self, service: Service, arch: str, json_file: bool) -> str:
        return f'node_selector = {{ "kubernetes.io/arch" = "{arch}" }}'


class HelmRelease:
    def token(self, service: Service, arch: str) -> str:
        return f'"{arch}"'

    def block(self, service: Service, arch: str) -> str:
        return f'set {{\n  name  = "nodeSelector.kubernetes\\\\.io/arch"\n  value = "{arch}"\n}}'

    def declaration(self, service: Service, arch: str, json_file: bool) -> str:
        return f'set {{ name = "nodeSelector.kubernetes\\\\.io/arch", value = "{arch}" }}'


class TerraformManifest:
    def token(self, service: Service, arch: str) -> str:
        return f'"{arch}"'

    def block(self, service: Service, arch: str) -> str:
        return f'nodeSelector = {{\n  "kubernetes.io/arch" = "{arch}"\n}}'

    def declaration(self, service: Service, arch: str, json_file: bool) -> str:
        return f'nodeSelector = {{ "kubernetes.io/arch" = "{arch}" }}'
