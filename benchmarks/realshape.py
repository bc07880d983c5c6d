"""Generate a monorepo shaped like real ones (deterministic): the synthetic services of generate.py
surrounded by what real repositories also hold, so a scan pays for what it must not parse.

* vendored trees: `site-packages` and pip `--target` copies of an AWS-SDK-like data tree (JSON
  service models up to ~2.9 MB that contain `"apiVersion"`), `node_modules`, Go `vendor/`, a
  `.venv` (with `pyvenv.cfg`), `.aws-sam/build` copies of a SAM app, a `cdk.out` with asset
  copies, `.terraform` modules;
* multi-MB JSON and YAML files that are not infrastructure, Helm charts (templates), thousands
  of `package.json` files (workspace packages), a deep folder tree, and a few real manifests.

    python benchmarks/realshape.py OUT_DIR [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import generate  # noqa: E402

SERVICES = 40
SDK_SERVICES = 70
SDK_COPIES = {  # where the SDK data tree is copied, and how many times
    "apps/ingest/.venv/lib/python3.12/site-packages/botocore/data": 1,
    "apps/report/venv/lib/python3.12/site-packages/botocore/data": 1,
    "apps/ingest/.aws-sam/build/IngestFunction/botocore/data": 1,
    "functions/fetcher/botocore/data": 1,  # pip install -t: vendored beside the code, not skipped
    "functions/notifier/botocore/data": 1,
}

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc{i}
spec:
  template:
    spec:
      nodeSelector:
        kubernetes.io/arch: {arch}
      containers:
        - name: app
          image: 123456789012.dkr.ecr.us-east-1.amazonaws.com/svc{i}:latest
"""

HELM_TEMPLATE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{{{ include "chart.fullname" . }}}}-{n}
spec:
  replicas: {{{{ .Values.replicaCount }}}}
  template:
    spec:
      containers:
        - name: {{{{ .Chart.Name }}}}
          image: "{{{{ .Values.image.repository }}}}:{{{{ .Values.image.tag }}}}"
"""

SAM_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  IngestFunction:
    Type: AWS::Serverless::Function
    Properties:
      PackageType: Image
      Architectures: [arm64]
    Metadata:
      Dockerfile: Dockerfile
      DockerContext: ./src
"""


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def sdk_model(rng: random.Random, name: str, size: int) -> str:
    """An AWS-SDK-like service model: metadata with apiVersion, operations and shapes."""
    shapes = {}
    n = 0
    while n * 150 < size:
        shapes[f"{name.title()}Shape{n}"] = {
            "type": "structure",
            "members": {
                "Name": {
                    "shape": "String",
                    "documentation": "<p>The name. " + "x" * rng.randint(20, 80) + "</p>",
                }
            },
        }
        n += 1
    doc = {
        "version": "2.0",
        "metadata": {
            "apiVersion": "2016-11-15",
            "endpointPrefix": name,
            "protocol": "json",
            "serviceId": name,
        },
        "operations": {
            f"Get{k}": {"name": f"Get{k}", "http": {"method": "POST", "requestUri": "/"}}
            for k in list(shapes)[:50]
        },
        "shapes": shapes,
    }
    return json.dumps(doc, indent=2)


def sdk_tree(rng: random.Random) -> dict[str, str]:
    files = {}
    for i in range(SDK_SERVICES):
        name = f"svc{i:02d}"
        size = 2_900_000 if i < 2 else rng.randint(20_000, 120_000)
        files[f"{name}/2016-11-15/service-2.json"] = sdk_model(rng, name, size)
        files[f"{name}/2016-11-15/paginators-1.json"] = json.dumps({"pagination": {}}, indent=1)
        files[f"{name}/2016-11-15/endpoint-rule-set-1.json"] = json.dumps(
            {"version": "1.0", "rules": []}, indent=1
        )
    return files


def node_modules(root: Path, rng: random.Random, packages: int) -> int:
    count = 0
    for i in range(packages):
        pkg = root / "node_modules" / f"dep-{i}"
        write(
            pkg / "package.json",
            json.dumps({"name": f"dep-{i}", "version": "1.0.0", "scripts": {"build": "tsc"}}),
        )
        write(pkg / "index.js", f"module.exports = {i};\n")
        write(
            pkg / ".github/workflows/ci.yml",
            "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps: [{run: npm test}]\n",
        )
        write(pkg / "lib" / "util.js", "exports.x = 1;\n" * rng.randint(1, 20))
        count += 4
    return count


def generate_realshape(out: Path, seed: int = 1) -> dict[str, int]:
    rng = random.Random(seed)
    counts = generate(out, SERVICES, seed)  # the real infrastructure, with findings
    files = 0
    sdk = sdk_tree(rng)
    for folder, copies in SDK_COPIES.items():
        for _ in range(copies):
            for rel, text in sdk.items():
                write(out / folder / rel, text)
                files += 1
    write(out / "apps/ingest/.venv/pyvenv.cfg", "home = /usr/bin\n")
    write(out / "apps/report/venv/pyvenv.cfg", "home = /usr/bin\n")
    write(out / "apps/ingest/template.yaml", SAM_TEMPLATE)
    write(out / "apps/ingest/src/Dockerfile", "FROM public.ecr.aws/lambda/python:3.12\nCOPY app.py ./\n")
    write(out / "apps/ingest/.aws-sam/build/template.yaml", SAM_TEMPLATE)
    for app in ("web", "admin", "api"):
        files += node_modules(out / "frontends" / app, rng, 400)
        write(
            out / "frontends" / app / "package.json", json.dumps({"name": app, "scripts": {"start": "vite"}})
        )
    for i in range(1500):  # workspace packages: thousands of package.json outside node_modules
        scripts = {"build": "tsc -p .", "test": "jest"}
        if i % 300 == 0:
            scripts["image"] = f"docker build -t pkg{i} ."
        write(
            out / "packages" / f"pkg{i}" / "package.json",
            json.dumps({"name": f"@org/pkg{i}", "scripts": scripts}, indent=2),
        )
        write(out / "packages" / f"pkg{i}" / "src/index.ts", f"export const x{i} = {i};\n")
        files += 2
    write(out / "tools/go.mod", "module example.com/tools\n")
    for i in range(1000):
        write(
            out / f"tools/vendor/github.com/org/lib{i // 50}/file{i}.go", f"package lib\nconst X{i} = {i}\n"
        )
        files += 1
    write(out / "tools/vendor/modules.txt", "# github.com/org/lib0 v1.0.0\n")
    for i in range(800):
        write(out / f"apps/ingest/.venv/lib/python3.12/site-packages/pkg{i // 40}/mod{i}.py", f"X = {i}\n")
        files += 1
    files += cdk_out(out / "cdk")
    for i in range(500):
        write(
            out / f"infra/.terraform/modules/mod{i // 10}/main{i}.tf",
            f'resource "null_resource" "r{i}" {{}}\n',
        )
        files += 1
    for chart in range(20):
        base = out / f"charts/chart{chart}"
        write(base / "Chart.yaml", f"apiVersion: v2\nname: chart{chart}\nversion: 0.1.0\n")
        write(base / "values.yaml", "replicaCount: 1\nimage:\n  repository: nginx\n  tag: latest\n")
        for n in range(8):
            write(base / f"templates/deploy{n}.yaml", HELM_TEMPLATE.format(n=n))
        files += 10
    for i in range(5):  # multi-MB data that is not infrastructure
        rows = [
            {"id": k, "apiVersion": "v1", "name": f"row{k}", "value": rng.random()} for k in range(40_000)
        ]
        write(out / f"data/fixtures/big{i}.json", json.dumps(rows))
        yaml_rows = "".join(
            f"- id: {k}\n  kind: record\n  apiVersion: v1\n  name: row{k}\n" for k in range(40_000)
        )
        write(out / f"data/fixtures/big{i}.yaml", yaml_rows)
        files += 2
    for i in range(1500):  # a deep folder tree of documentation
        depth = "/".join(f"d{j}" for j in range(i % 25))
        write(out / f"docs/{depth}/page{i}.md", f"# Page {i}\n")
        files += 1
    for i in range(30):
        write(out / f"k8s/svc{i}.yaml", DEPLOYMENT.format(i=i, arch="arm64" if i % 2 else "amd64"))
        files += 1
    for i in range(1200):  # ordinary source code
        write(out / f"src/module{i // 100}/file{i}.py", f"def f{i}():\n    return {i}\n")
        files += 1
    counts["realshape_files"] = files
    return counts


def cdk_out(app: Path) -> int:
    asset = "a" * 64
    write(app / "cdk.json", json.dumps({"app": "npx ts-node bin/app.ts"}))
    manifest = {
        "version": "36.0.0",
        "dockerImages": {
            asset: {
                "source": {"directory": f"asset.{asset}", "platform": "linux/arm64"},
                "destinations": {"d": {"repositoryName": "cdk-assets", "imageTag": asset}},
            }
        },
    }
    write(app / "cdk.out/App.assets.json", json.dumps(manifest, indent=1))
    template = {
        "Resources": {
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "PackageType": "Image",
                    "Architectures": ["arm64"],
                    "Code": {"ImageUri": f"x.dkr.ecr.us-east-1.amazonaws.com/cdk-assets:{asset}"},
                },
            }
        }
    }
    write(app / "cdk.out/App.template.json", json.dumps(template, indent=1))
    write(app / f"cdk.out/asset.{asset}/Dockerfile", "FROM public.ecr.aws/lambda/nodejs:20\nCOPY . .\n")
    for i in range(300):
        write(app / f"cdk.out/asset.{asset}/src/file{i}.js", f"exports.x = {i};\n")
    return 304


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    counts = generate_realshape(args.out, args.seed)
    total = sum(1 for p in args.out.rglob("*") if p.is_file())
    print(f"{total} files; {counts}")


if __name__ == "__main__":
    main()
