#!/usr/bin/env python3
"""Build the AWS Lambda bundle for Migraine Helper.

    python scripts/package_lambda.py            # build/lambda/ + build/migraine-helper-lambda.zip

The bundle root holds ``skill/``, ``content/`` and ``interaction_model/`` side by side
(``skill/settings.py`` finds them at ``<bundle root>/content`` and ``.../interaction_model``)
plus the runtime dependencies, installed by pip as wheels for the Lambda platform (Linux arm64,
CPython 3.13) whatever machine this runs on. ``sam build`` runs it through the Makefile's
``build-SkillFunction`` target (template.yaml: ``BuildMethod: makefile``), which copies
``build/lambda`` and nothing else into the function's artifact.

Left out: boto3, botocore, s3transfer and jmespath (the Lambda runtime provides them and they
are ~80 MB), test and build tools, ``__pycache__`` and console scripts. The zip is
deterministic: entries sorted, fixed timestamps and permissions, so the same inputs give the
same bytes (and the same CodeSha256).

Requirements come from ``requirements/lambda.txt`` (pinned, generated from
``requirements/lambda.in``) or, until that exists, from ``requirements/lambda.in``.
Standard library only; pip runs as a subprocess of this interpreter.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILD_DIR = REPO_ROOT / "build"
BUNDLE_NAME = "lambda"  # build/lambda: what `make build-SkillFunction` ships
ZIP_NAME = "migraine-helper-lambda.zip"
#: Copied from the repository to the bundle root, side by side.
BUNDLE_SOURCES = ("skill", "content", "interaction_model")
REQUIREMENTS_PINNED = REPO_ROOT / "requirements" / "lambda.txt"
REQUIREMENTS_INPUT = REPO_ROOT / "requirements" / "lambda.in"

#: The Lambda function's platform (template.yaml: python3.13 on arm64).
PIP_PLATFORM = ("--platform", "manylinux2014_aarch64")
PIP_PYTHON_VERSION = "3.13"
PIP_TARGET_ARGS = (
    *PIP_PLATFORM,
    "--only-binary=:all:",
    "--python-version",
    PIP_PYTHON_VERSION,
    "--implementation",
    "cp",
)

#: Provided by the Lambda Python runtime: never bundled.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath"})
#: Never belong in a Lambda bundle.
DEV_TOOLS = frozenset(
    {
        "pip",
        "setuptools",
        "wheel",
        "pytest",
        "hypothesis",
        "ruff",
        "mypy",
        "mypy-extensions",
        "cfn-lint",
        "pip-tools",
        "types-pyyaml",
        "types-requests",
    }
)
EXCLUDED = RUNTIME_PROVIDED | DEV_TOOLS
#: Installed without their declared dependencies (which would drag boto3 in).
NO_DEPS = frozenset({"ask-sdk-dynamodb-persistence-adapter"})

#: Never copied from the source tree.
IGNORED_NAMES = frozenset({"__pycache__", ".DS_Store", ".mypy_cache", ".pytest_cache"})
IGNORED_SUFFIXES = (".pyc", ".pyo", ".swp", "~")
#: Local tools (console, checks, reports, simulator): never imported by the Lambda entry.
LOCAL_ONLY_SOURCES = frozenset({Path("skill/tools"), Path("skill/__main__.py")})

#: Zip entries get this timestamp (the earliest a zip can hold) and these modes.
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
EXEC_MODE = 0o755

#: Where Lambda unpacks a zip package (LAMBDA_TASK_ROOT).
LAMBDA_TASK_ROOT = "/var/task"
#: AWS Lambda limits for a zip deployment package.
LAMBDA_MAX_UNZIPPED = 250 * 1024 * 1024
LAMBDA_MAX_ZIPPED_DIRECT = 50 * 1024 * 1024


# --------------------------------------------------------------------------------------------
# Requirements


def canonical_name(name: str) -> str:
    """PEP 503 normalised project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def logical_lines(text: str) -> Iterator[str]:
    """Requirement lines with comments dropped and backslash continuations joined."""
    pending = ""
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if line:
            yield line
    if pending.strip():
        yield pending.strip()


@dataclass(frozen=True)
class Requirements:
    """What to install: with dependencies, without them, and what was left out."""

    normal: tuple[str, ...]
    no_deps: tuple[str, ...]
    excluded: tuple[str, ...]


def split_requirements(text: str) -> Requirements:
    """Sort requirement lines into install-normally, install-without-deps, and excluded."""
    normal: list[str] = []
    no_deps: list[str] = []
    excluded: list[str] = []
    for line in logical_lines(text):
        match = _NAME.match(line)
        if line.startswith("-") or match is None:  # an option line (--index-url, ...)
            normal.append(line)
            continue
        name = canonical_name(match.group(1))
        if name in EXCLUDED:
            excluded.append(name)
        elif name in NO_DEPS:
            no_deps.append(line)
        else:
            normal.append(line)
    return Requirements(tuple(normal), tuple(no_deps), tuple(excluded))


def requirements_file(
    pinned: Path = REQUIREMENTS_PINNED, unpinned: Path = REQUIREMENTS_INPUT
) -> tuple[Path, bool]:
    """The file to install from and whether it is the complete, pinned set."""
    if pinned.exists():
        return pinned, True
    if unpinned.exists():
        return unpinned, False
    raise SystemExit(f"Neither {pinned} nor {unpinned} exists.")


def pip_install(target: Path, lines: Sequence[str], *, no_deps: bool) -> None:
    """``pip install --target`` for the Lambda platform from the given requirement lines."""
    if not lines:
        return
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write("\n".join(lines) + "\n")
        req_path = Path(handle.name)
    try:
        command = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--quiet",
            "--no-compile",
            "--target",
            str(target),
            *PIP_TARGET_ARGS,
            *(("--no-deps",) if no_deps else ()),
            "-r",
            str(req_path),
        ]
        subprocess.run(command, check=True)
    finally:
        req_path.unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------
# The bundle tree


def ignored(path: Path) -> bool:
    return path.name in IGNORED_NAMES or path.name.endswith(IGNORED_SUFFIXES)


def copy_sources(repo_root: Path, bundle: Path, sources: Iterable[str] = BUNDLE_SOURCES) -> None:
    """Copy each source directory to the bundle root, without caches, litter or local tools."""

    def leave_out(directory: str, names: list[str]) -> list[str]:
        here = Path(directory).relative_to(repo_root)
        return [n for n in names if ignored(Path(n)) or here / n in LOCAL_ONLY_SOURCES]

    for name in sources:
        source = repo_root / name
        if not source.is_dir():
            raise SystemExit(f"{source} is missing: the bundle needs it.")
        shutil.copytree(source, bundle / name, ignore=leave_out)


def write_compiled_content(content_dir: Path) -> None:
    """Validate the content and add its records as JSON, so a cold start skips YAML."""
    sys.path.insert(0, str(REPO_ROOT))
    from skill.content import SNAPSHOT_DIR, ContentError
    from skill.tools.compile import write_snapshot

    try:
        write_snapshot(content_dir)
    except ContentError as error:
        raise SystemExit(f"The content is broken; nothing was packaged.\n{error}") from error
    print(f"Content validated and its records written to content/{SNAPSHOT_DIR}/.")


def remove_excluded(bundle: Path) -> list[str]:
    """Delete runtime-provided and tool packages, console scripts and caches that pip left."""
    removed: list[str] = []
    for entry in sorted(bundle.iterdir()):
        stem = entry.name.split("-", 1)[0] if entry.name.endswith(".dist-info") else entry.name
        name = canonical_name(stem.removesuffix(".py"))
        if name in EXCLUDED or entry.name == "bin":
            removed.append(entry.name)
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    for cache in sorted(bundle.rglob("__pycache__"), reverse=True):
        shutil.rmtree(cache, ignore_errors=True)
    for compiled in bundle.rglob("*.py[co]"):
        compiled.unlink()
    return removed


def bundle_files(bundle: Path) -> list[Path]:
    """Every regular file under the bundle, sorted by its path in the zip."""
    files = [p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink()]
    return sorted(files, key=lambda p: p.relative_to(bundle).as_posix())


def tree_size(paths: Iterable[Path]) -> int:
    return sum(p.stat().st_size for p in paths)


def write_zip(bundle: Path, zip_path: Path) -> int:
    """Zip the bundle deterministically; returns the zip's size in bytes."""
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    temp_path = zip_path.with_suffix(".zip.tmp")
    with zipfile.ZipFile(temp_path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in bundle_files(bundle):
            info = zipfile.ZipInfo(path.relative_to(bundle).as_posix(), date_time=ZIP_TIMESTAMP)
            info.create_system = 3  # Unix, so Lambda honours the permission bits below
            mode = EXEC_MODE if os.access(path, os.X_OK) else FILE_MODE
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes(), compresslevel=9)
    os.replace(temp_path, zip_path)
    return zip_path.stat().st_size


def python_version_of(python: str) -> str | None:
    """``"3.13"`` for a runnable interpreter, else None."""
    try:
        result = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            check=True,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip()


def find_runtime_python(requested: str) -> str | None:
    """The interpreter to precompile with: an explicit path, or "auto" (look for one), or none."""
    if requested == "none":
        return None
    if requested != "auto":
        version = python_version_of(requested)
        if version != PIP_PYTHON_VERSION:
            raise SystemExit(
                f"{requested} is Python {version}; the Lambda runtime is {PIP_PYTHON_VERSION}."
            )
        return requested
    if f"{sys.version_info[0]}.{sys.version_info[1]}" == PIP_PYTHON_VERSION:
        return sys.executable
    candidate = shutil.which(f"python{PIP_PYTHON_VERSION}")
    if candidate and python_version_of(candidate) == PIP_PYTHON_VERSION:
        return candidate
    return None


def compile_bytecode(bundle: Path, python: str) -> None:
    """Precompile with the runtime's Python version (unchecked-hash: valid whatever mtime).

    /var/task is read-only in Lambda, so without this every cold start compiles every module
    it imports from source (measured: ~0.35 s vs ~0.12 s to import the SDK on a laptop).
    The SDK's docstrings trip Python 3.13's invalid-escape SyntaxWarning; compiling here also
    keeps those out of the function's logs.
    """
    subprocess.run(
        [
            python,
            "-W",
            "ignore::SyntaxWarning",
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            "--invalidation-mode",
            "unchecked-hash",
            # record /var/task/... (where Lambda unpacks the code) as each module's file name:
            # right in tracebacks, and the same bytes whatever the build directory
            "-s",
            str(bundle),
            "-p",
            LAMBDA_TASK_ROOT,
            str(bundle),
        ],
        check=True,
    )


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


# --------------------------------------------------------------------------------------------
# Command line


def build(
    build_dir: Path,
    *,
    repo_root: Path = REPO_ROOT,
    requirements: Path | None = None,
    install: bool = True,
    compile_with: str = "auto",
    precompile_content: bool = True,
) -> tuple[Path, Path]:
    """Build ``<build_dir>/lambda`` and its zip; returns (bundle dir, zip path)."""
    bundle = build_dir / BUNDLE_NAME
    zip_path = build_dir / ZIP_NAME
    if bundle.exists():
        shutil.rmtree(bundle)
    bundle.mkdir(parents=True)

    if install:
        if requirements is None:
            req_path, pinned = requirements_file()
        else:
            req_path, pinned = requirements, requirements.suffix == ".txt"
        reqs = split_requirements(req_path.read_text(encoding="utf-8"))
        print(f"Installing from {req_path} for Lambda (linux arm64, CPython {PIP_PYTHON_VERSION})")
        if reqs.excluded:
            print(f"  left out (Lambda runtime provides / not runtime): {', '.join(reqs.excluded)}")
        # A pinned file is the complete closure: install exactly it, never more.
        pip_install(bundle, reqs.normal, no_deps=pinned)
        pip_install(bundle, reqs.no_deps, no_deps=True)
        removed = remove_excluded(bundle)
        if removed:
            print(f"  removed from the bundle: {', '.join(removed)}")

    copy_sources(repo_root, bundle)
    if precompile_content:
        write_compiled_content(bundle / "content")
    python = find_runtime_python(compile_with)
    if python:
        compile_bytecode(bundle, python)
        print(f"Precompiled with {python} (Python {PIP_PYTHON_VERSION}).")
    elif compile_with == "auto":
        print(
            f"Note: no python{PIP_PYTHON_VERSION} found, so the bundle is not precompiled; "
            f"it works, but cold starts compile from source (pass --compile-with PATH)."
        )

    files = bundle_files(bundle)
    unzipped = tree_size(files)
    zipped = write_zip(bundle, zip_path)
    print(f"{bundle}: {len(files)} files, {megabytes(unzipped)} unzipped")
    print(f"{zip_path}: {megabytes(zipped)} zipped")
    if unzipped > LAMBDA_MAX_UNZIPPED:
        raise SystemExit(f"The bundle exceeds Lambda's {megabytes(LAMBDA_MAX_UNZIPPED)} limit.")
    if zipped > LAMBDA_MAX_ZIPPED_DIRECT:
        print("Note: over 50 MB zipped; deploy through S3 (sam deploy does).")
    return bundle, zip_path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--build-dir", type=Path, default=BUILD_DIR, help="output directory (default: build/)"
    )
    parser.add_argument(
        "--requirements",
        type=Path,
        default=None,
        help="requirements file (default: requirements/lambda.txt, else lambda.in)",
    )
    parser.add_argument(
        "--skip-install",
        action="store_true",
        help="copy skill/ and content/ only (no dependencies): for quick checks, not deploys",
    )
    parser.add_argument(
        "--compile-with",
        metavar="PYTHON3.13",
        default="auto",
        help=(
            "precompile the bundle with this Python 3.13 interpreter for faster cold starts; "
            "'auto' (default) uses python3.13 if found, 'none' skips it"
        ),
    )
    args = parser.parse_args(argv)
    build(
        args.build_dir.resolve(),
        requirements=args.requirements,
        install=not args.skip_install,
        compile_with=args.compile_with,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
