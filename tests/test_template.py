"""The deploy side: SAM template, Lambda bundle script, and the skill manifest.

The template is linted with cfn-lint and its structure checked against the code it deploys
(handler, settings variable names, preference table key and TTL). The manifest is checked
against the ask-smapi-model classes and against the interaction model. The package script's
pure parts are unit-tested here; the full build downloads wheels from PyPI, so it runs only
when SKILL_TEST_PACKAGE=1 (see docs/DEPLOY.md).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from skill import persistence, settings

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = REPO_ROOT / "template.yaml"
MANIFEST = REPO_ROOT / "interaction_model" / "skill.json"
MODEL = REPO_ROOT / "interaction_model" / "interactionModels" / "custom" / "en-US.json"
PACKAGE_SCRIPT = REPO_ROOT / "scripts" / "package_lambda.py"


# --------------------------------------------------------------------------------------------
# Helpers


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation short-form tags (!Ref, !GetAtt, !Sub, ...) as their long form."""


def _cfn_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {"Ref" if suffix == "Ref" else f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _cfn_tag)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(TEMPLATE.read_text(encoding="utf-8"), Loader=_CfnLoader)
    return loaded


@pytest.fixture(scope="module")
def function(template: dict[str, Any]) -> dict[str, Any]:
    functions: list[dict[str, Any]] = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::Function"
    ]
    assert len(functions) == 1
    return functions[0]


@pytest.fixture(scope="module")
def table(template: dict[str, Any]) -> dict[str, Any]:
    resource: dict[str, Any] = template["Resources"]["PreferencesTable"]
    assert resource["Type"] == "AWS::DynamoDB::Table"
    return resource


def load_package_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("package_lambda", PACKAGE_SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("package_lambda", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pkg() -> ModuleType:
    return load_package_script()


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return data


# --------------------------------------------------------------------------------------------
# template.yaml


def test_cfn_lint_is_clean() -> None:
    cfn_lint = shutil.which("cfn-lint", path=str(Path(sys.executable).parent)) or shutil.which(
        "cfn-lint"
    )
    assert cfn_lint, "cfn-lint is not installed"
    result = subprocess.run(
        [cfn_lint, "--include-checks", "I", "--", str(TEMPLATE)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_template_is_sam(template: dict[str, Any]) -> None:
    assert template["Transform"] == "AWS::Serverless-2016-10-31"


def test_function_runtime_and_limits(function: dict[str, Any]) -> None:
    props = function["Properties"]
    assert props["Runtime"] == "python3.13"
    assert props["Architectures"] == ["arm64"]
    assert props["Timeout"] < 8  # Alexa gives up after 8 seconds
    assert props["MemorySize"] == 512


def test_handler_is_an_importable_callable(function: dict[str, Any]) -> None:
    module_name, _, attribute = function["Properties"]["Handler"].rpartition(".")
    assert module_name == "skill.lambda_function"
    module = importlib.import_module(module_name)
    handler = getattr(module, attribute)
    assert callable(handler)


def test_code_uri_is_the_bundle_the_script_builds(
    function: dict[str, Any], pkg: ModuleType
) -> None:
    # CodeUri is the repository, where the real entry lives; `sam build` runs the Makefile
    # target that builds the bundle with the package script.
    assert function["Properties"]["CodeUri"] == "."
    assert function["Metadata"]["BuildMethod"] == "makefile"
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    assert "build-SkillFunction:" in makefile
    assert "scripts/package_lambda.py" in makefile.split("build-SkillFunction:")[1]
    # the handler's package and the content it loads sit side by side at the bundle root
    assert {"skill", "content"} <= set(pkg.BUNDLE_SOURCES)
    handler_file = function["Properties"]["Handler"].rpartition(".")[0].replace(".", "/")
    assert handler_file.split("/")[0] in pkg.BUNDLE_SOURCES
    assert (REPO_ROOT / f"{handler_file}.py").is_file()
    assert settings.Settings().content_dir == settings.PROJECT_DIR / "content"


def test_environment_matches_settings(function: dict[str, Any]) -> None:
    variables = function["Properties"]["Environment"]["Variables"]
    assert set(variables) == {
        settings.ENV_SKILL_ID,
        settings.ENV_TABLE_NAME,
        settings.ENV_LOG_LEVEL,
    }
    assert variables[settings.ENV_SKILL_ID] == {"Ref": "SkillId"}
    assert variables[settings.ENV_TABLE_NAME] == {"Ref": "PreferencesTable"}


def test_alexa_trigger_is_locked_to_the_skill_id(
    template: dict[str, Any], function: dict[str, Any]
) -> None:
    events = function["Properties"]["Events"]
    assert [e["Type"] for e in events.values()] == ["AlexaSkill"]
    (event,) = events.values()
    assert event["Properties"]["SkillId"] == {"Ref": "SkillId"}
    pattern = template["Parameters"]["SkillId"]["AllowedPattern"]
    assert pattern == r"amzn1\.ask\.skill\..+"
    assert re.fullmatch(pattern, "amzn1.ask.skill.0a1b2c3d-1234-5678-9abc-def012345678")
    for bad in ("", "amzn1.ask.skill.", "amzn1Xask.skill.x", "arn:aws:lambda:x"):
        assert not re.fullmatch(pattern, bad), bad


def test_policy_allows_only_item_reads_and_writes_on_the_table(
    function: dict[str, Any],
) -> None:
    policies = function["Properties"]["Policies"]
    assert all(isinstance(p, dict) and "Statement" in p for p in policies), (
        "only inline statements (no SAM policy templates or managed policies)"
    )
    statements = [s for p in policies for s in p["Statement"]]
    assert len(statements) == 1
    (statement,) = statements
    assert statement["Effect"] == "Allow"
    assert sorted(statement["Action"]) == [
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
    ]
    assert statement["Resource"] == {"Fn::GetAtt": ["PreferencesTable", "Arn"]}


def test_table_shape_matches_the_store(table: dict[str, Any]) -> None:
    props = table["Properties"]
    assert props["KeySchema"] == [{"AttributeName": persistence.PARTITION_KEY, "KeyType": "HASH"}]
    assert props["AttributeDefinitions"] == [
        {"AttributeName": persistence.PARTITION_KEY, "AttributeType": "S"}
    ]
    assert persistence.PARTITION_KEY == "id"
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["TimeToLiveSpecification"] == {
        "AttributeName": persistence.TTL_ATTRIBUTE,
        "Enabled": True,
    }


def test_log_group_has_retention(template: dict[str, Any]) -> None:
    group = template["Resources"]["SkillFunctionLogGroup"]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert group["Properties"]["LogGroupName"] == {"Fn::Sub": "/aws/lambda/${SkillFunction}"}
    assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_outputs_include_the_function_arn(template: dict[str, Any]) -> None:
    arn = template["Outputs"]["SkillFunctionArn"]["Value"]
    assert arn == {"Fn::GetAtt": ["SkillFunction", "Arn"]}


def test_store_worst_case_fits_in_the_function_timeout(function: dict[str, Any]) -> None:
    store = persistence.DynamoStore("t")
    per_attempt = store.connect_timeout + store.read_timeout
    worst = store.max_attempts * per_attempt + 0.05 * (store.max_attempts - 1)
    assert worst < 1.5
    assert worst < function["Properties"]["Timeout"]


# --------------------------------------------------------------------------------------------
# interaction_model/skill.json


LOCALES = ("en-US", "en-CA", "en-GB", "en-AU", "en-IN")
#: Each locale's emergency number, as the store description gives it.
NUMBERS = {"en-US": "911", "en-CA": "911", "en-GB": "999", "en-AU": "000", "en-IN": "112"}


def test_manifest_deserialises_with_the_smapi_model(manifest: dict[str, Any]) -> None:
    from ask_sdk_model_runtime.serializer import DefaultSerializer

    serializer = DefaultSerializer()
    envelope = serializer.deserialize(
        json.dumps(manifest),
        "ask_smapi_model.v1.skill.manifest.skill_manifest_envelope.SkillManifestEnvelope",
    )
    # anything the model does not know would be dropped: the round trip must be lossless
    assert serializer.serialize(envelope) == manifest
    custom = envelope.manifest.apis.custom
    assert [i.object_type for i in custom.interfaces] == ["ALEXA_PRESENTATION_APL"]
    publishing = envelope.manifest.publishing_information
    assert [c.value for c in publishing.distribution_countries] == [
        "US",
        "CA",
        "GB",
        "AU",
        "NZ",
        "IN",
    ]
    assert envelope.manifest.manifest_version.value == "1.0"


def test_manifest_publishes_every_locale_that_has_a_model(manifest: dict[str, Any]) -> None:
    publishing = manifest["manifest"]["publishingInformation"]
    models = {path.stem for path in MODEL.parent.glob("*.json")}
    assert set(publishing["locales"]) == models == set(LOCALES)
    # ask-smapi-model types category as a plain string; the documented enum value:
    assert publishing["category"] == "HEALTH_AND_FITNESS"
    assert publishing["isAvailableWorldwide"] is False
    assert publishing["testingInstructions"]
    for locale in LOCALES:
        entry = publishing["locales"][locale]
        assert entry["name"] == "Migraine Helper"
        assert len(entry["summary"]) <= 160
        assert len(entry["description"]) <= 4000
        assert 1 <= len(entry["keywords"]) <= 30
        for key in ("smallIconUri", "largeIconUri"):
            assert entry[key].startswith("https://clinic.example.com/PLACEHOLDER")


@pytest.mark.parametrize("locale", LOCALES)
def test_each_store_description_carries_the_disclaimer(
    manifest: dict[str, Any], locale: str
) -> None:
    description = manifest["manifest"]["publishingInformation"]["locales"][locale]["description"]
    flat = " ".join(description.split()).lower()
    assert "not a substitute for professional medical advice" in flat
    assert f"in an emergency, call your local emergency number ({NUMBERS[locale]}" in flat
    assert "cannot call anyone" in flat
    assert "clinic that offers ketamine infusions" in flat  # the conflict of interest


def test_manifest_privacy(manifest: dict[str, Any]) -> None:
    privacy = manifest["manifest"]["privacyAndCompliance"]
    assert privacy["allowsPurchases"] is False
    assert privacy["usesPersonalInfo"] is False
    assert privacy["isChildDirected"] is False
    assert privacy["isExportCompliant"] is True
    assert privacy["containsAds"] is False
    assert privacy["usesHealthInfo"] is False
    assert set(privacy["locales"]) == set(LOCALES)
    for locale, urls in privacy["locales"].items():
        for key in ("privacyPolicyUrl", "termsOfUseUrl"):
            assert urls[key].startswith("https://clinic.example.com/PLACEHOLDER")
            assert f"/{locale.lower()}/" in urls[key]


def test_manifest_endpoint_is_a_marked_placeholder_arn(manifest: dict[str, Any]) -> None:
    uri = manifest["manifest"]["apis"]["custom"]["endpoint"]["uri"]
    assert re.fullmatch(r"arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}", uri)
    assert "PLACEHOLDER" in uri


#: Each example phrase, and the intent its request must reach (None: a LaunchRequest).
EXAMPLES = {
    "Alexa, open migraine helper": None,
    "Alexa, ask migraine helper what triggers migraines": "TriggerIntent",
    "Alexa, ask migraine helper is this an emergency": "EmergencyCheckIntent",
    "Alexa, ask migraine helper should I see my GP": "SeeDoctorIntent",
}


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s'{}]", " ", text.lower()).split())


@pytest.mark.parametrize("locale", LOCALES)
def test_example_phrases_resolve_against_the_locales_model(
    manifest: dict[str, Any], locale: str
) -> None:
    phrases = manifest["manifest"]["publishingInformation"]["locales"][locale]["examplePhrases"]
    assert phrases[0] == "Alexa, open migraine helper" and len(phrases) == 3
    path = MODEL.parent / f"{locale}.json"
    model = json.loads(path.read_text(encoding="utf-8"))["interactionModel"]["languageModel"]
    invocation = model["invocationName"]
    samples = {
        intent["name"]: {_normalise(s) for s in intent.get("samples", [])}
        for intent in model["intents"]
    }
    for phrase in phrases:
        intent = EXAMPLES[phrase]
        words = _normalise(phrase.removeprefix("Alexa,"))
        if intent is None:
            assert words == f"open {invocation}"
            continue
        prefix = f"ask {invocation} "
        assert words.startswith(prefix), phrase
        # certification wants example phrases to match sample utterances exactly
        assert words.removeprefix(prefix) in samples[intent], (locale, phrase, intent)


# --------------------------------------------------------------------------------------------
# scripts/package_lambda.py


PINNED_EXAMPLE = """\
#
# This file is autogenerated by pip-compile
#
ask-sdk-core==1.19.0 \\
    --hash=sha256:aaaa \\
    --hash=sha256:bbbb
    # via
    #   -r requirements/lambda.in
ask-sdk-dynamodb-persistence-adapter==1.19.0  # via -r requirements/lambda.in
boto3==1.44.8
    # via ask-sdk-dynamodb-persistence-adapter
botocore==1.44.8
jmespath==1.1.0
s3transfer==0.19.3
PyYAML==6.0.4
python_dateutil==2.9.0.post0
pytest==9.0.0
--index-url https://pypi.org/simple
"""


def test_split_requirements(pkg: ModuleType) -> None:
    reqs = pkg.split_requirements(PINNED_EXAMPLE)
    assert reqs.normal == (
        "ask-sdk-core==1.19.0 --hash=sha256:aaaa --hash=sha256:bbbb",
        "PyYAML==6.0.4",
        "python_dateutil==2.9.0.post0",
        "--index-url https://pypi.org/simple",
    )
    assert reqs.no_deps == ("ask-sdk-dynamodb-persistence-adapter==1.19.0",)
    assert set(reqs.excluded) == {"boto3", "botocore", "jmespath", "s3transfer", "pytest"}


def test_lambda_requirements_file(pkg: ModuleType) -> None:
    path = REPO_ROOT / "requirements" / "lambda.in"
    reqs = pkg.split_requirements(path.read_text(encoding="utf-8"))
    names = {pkg.canonical_name(re.split(r"[<>=!~ ;\[]", line)[0]) for line in reqs.normal}
    assert {"ask-sdk-core", "ask-sdk-model", "pyyaml"} <= names
    assert [pkg.canonical_name(r.split(">")[0]) for r in reqs.no_deps] == [
        "ask-sdk-dynamodb-persistence-adapter"
    ]
    assert not names & pkg.RUNTIME_PROVIDED


def test_canonical_name(pkg: ModuleType) -> None:
    assert pkg.canonical_name("PyYAML") == "pyyaml"
    assert pkg.canonical_name("python_dateutil") == "python-dateutil"
    assert pkg.canonical_name("ask.sdk__core") == "ask-sdk-core"


def _fake_repo(root: Path) -> Path:
    (root / "skill" / "__pycache__").mkdir(parents=True)
    (root / "skill" / "__init__.py").write_text("")
    (root / "skill" / "lambda_function.py").write_text("def handler(e, c):\n    return e\n")
    (root / "skill" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    (root / "skill" / "stale.pyc").write_bytes(b"\0")
    (root / "skill" / "__main__.py").write_text("from skill.tools.cli import main\n")
    (root / "skill" / "tools").mkdir()
    (root / "skill" / "tools" / "console.py").write_text("")  # local only: left out
    (root / "content").mkdir()
    (root / "content" / "en.yaml").write_text("skill_name: Migraine Helper\n")
    (root / "content" / ".DS_Store").write_bytes(b"\0")
    (root / "interaction_model").mkdir()
    (root / "interaction_model" / "skill.json").write_text("{}")
    return root


def _build_twice(
    pkg: ModuleType, tmp_path: Path, touch: Callable[[Path], None]
) -> tuple[bytes, bytes, Path]:
    repo = _fake_repo(tmp_path / "repo")
    pkg.build(
        tmp_path / "out1",
        repo_root=repo,
        install=False,
        compile_with="none",
        precompile_content=False,
    )
    touch(repo)
    _, zip_path = pkg.build(
        tmp_path / "out2",
        repo_root=repo,
        install=False,
        compile_with="none",
        precompile_content=False,
    )
    first = (tmp_path / "out1" / pkg.ZIP_NAME).read_bytes()
    return first, zip_path.read_bytes(), zip_path


def test_zip_is_deterministic_and_clean(pkg: ModuleType, tmp_path: Path) -> None:
    def touch(repo: Path) -> None:  # new mtimes must not change the zip
        for path in repo.rglob("*"):
            os.utime(path, (1_900_000_000, 1_900_000_000))

    first, second, zip_path = _build_twice(pkg, tmp_path, touch)
    assert hashlib.sha256(first).digest() == hashlib.sha256(second).digest()
    with zipfile.ZipFile(zip_path) as archive:
        names = archive.namelist()
        assert names == sorted(names)
        assert names == [
            "content/en.yaml",
            "interaction_model/skill.json",
            "skill/__init__.py",
            "skill/lambda_function.py",
        ]
        for info in archive.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert (info.external_attr >> 16) & 0o777 == 0o644  # readable by the Lambda user
            assert info.compress_type == zipfile.ZIP_DEFLATED
        assert archive.read("skill/lambda_function.py").startswith(b"def handler")


def test_remove_excluded(pkg: ModuleType, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    for name in (
        "boto3",
        "boto3-1.44.8.dist-info",
        "botocore",
        "s3transfer",
        "jmespath",
        "bin",
        "ask_sdk_core",
        "yaml",
        "pytest",
    ):
        (bundle / name).mkdir(parents=True)
        (bundle / name / "__init__.py").write_text("")
    (bundle / "yaml" / "__pycache__").mkdir()
    (bundle / "yaml" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    (bundle / "six.py").write_text("")
    removed = pkg.remove_excluded(bundle)
    assert set(removed) == {
        "boto3",
        "boto3-1.44.8.dist-info",
        "botocore",
        "s3transfer",
        "jmespath",
        "bin",
        "pytest",
    }
    assert sorted(p.name for p in bundle.iterdir()) == ["ask_sdk_core", "six.py", "yaml"]
    assert not list(bundle.rglob("*.pyc"))


@pytest.mark.skipif(
    os.environ.get("SKILL_TEST_PACKAGE") != "1",
    reason="downloads wheels from PyPI; run with SKILL_TEST_PACKAGE=1",
)
def test_full_package_build(pkg: ModuleType, tmp_path: Path) -> None:
    bundle, zip_path = pkg.build(tmp_path)
    top = {p.name for p in bundle.iterdir()}
    assert {"skill", "content", "ask_sdk_core", "ask_sdk_model", "ask_sdk_dynamodb", "yaml"} <= top
    assert not top & {"boto3", "botocore", "s3transfer", "jmespath", "bin"}
    assert list((bundle / "yaml").glob("*aarch64*.so")) or list(bundle.glob("_yaml/*aarch64*.so"))
    assert zip_path.stat().st_size < pkg.LAMBDA_MAX_ZIPPED_DIRECT
    assert pkg.tree_size(pkg.bundle_files(bundle)) < pkg.LAMBDA_MAX_UNZIPPED


def test_the_dashboard_shows_the_skills_own_metrics(template: dict[str, Any]) -> None:
    from skill import metrics

    dashboard = template["Resources"]["SkillDashboard"]
    assert dashboard["Type"] == "AWS::CloudWatch::Dashboard"
    body_template = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    body = json.loads(re.sub(r"\$\{[^}]+\}", "X", body_template))  # valid JSON once substituted
    text = json.dumps(body)
    assert f"{{{metrics.NAMESPACE},Kind}}" in text and f'"{metrics.NAMESPACE}"' in text
    for dimension_set in metrics.DIMENSIONS:
        assert f"{{{metrics.NAMESPACE},{','.join(dimension_set)}}}" in text
    for kind in ("fallback", "error", "topic", "safety"):
        assert kind in metrics.KINDS and f'"Kind", "{kind}"' in text
    [log_widget] = [w for w in body["widgets"] if w["type"] == "log"]
    query = log_widget["properties"]["query"]
    assert "'request handled'" in query and "item" in query and "item" in metrics.FIELDS
    assert "${SkillFunctionLogGroup}" in body_template
