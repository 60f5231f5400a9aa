"""HMAC verification of deliveries, pure (like gidgethub's sansio layer)."""
from bot.webhook import signature_for, verify_signature

# GitHub's documented test vector (validating-webhook-deliveries.md).
SECRET = "It's a Secret to Everybody"
BODY = b"Hello, World!"
EXPECTED = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_official_test_vector():
    assert signature_for(SECRET, BODY) == EXPECTED
    assert verify_signature(SECRET, BODY, EXPECTED)


def test_rejects_tampered_body_wrong_secret_and_other_algorithms():
    assert not verify_signature(SECRET, BODY + b" ", EXPECTED)
    assert not verify_signature("another secret", BODY, EXPECTED)
    assert not verify_signature(SECRET, BODY, EXPECTED.replace("sha256=", "sha1="))
    assert not verify_signature(SECRET, BODY, EXPECTED[:-1])
    assert not verify_signature(SECRET, BODY, "sha256=ünïcode")


def test_fails_closed_without_secret_or_header():
    assert not verify_signature(None, BODY, EXPECTED)
    assert not verify_signature("", BODY, signature_for("", BODY))
    assert not verify_signature(SECRET, BODY, None)
    assert not verify_signature(SECRET, BODY, "")
