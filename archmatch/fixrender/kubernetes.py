"""Kubernetes manifests: a pod's `nodeSelector` on `kubernetes.io/arch`."""

from __future__ import annotations

from archmatch.model import Service


class Workloads:
    def token(self, service: Service, arch: str) -> str:
        return arch

    def block(self, service: Service, arch: str) -> str:
        return f"nodeSelector:\n  kubernetes.io/arch: {arch}"

    def declaration(self, service: Service, arch: str, json_file: bool) -> str:
        return f"nodeSelector: {{kubernetes.io/arch: {arch}}}"
