"""Session + token endpoints for the dashboard (Flask)."""
import logging
import secrets
from datetime import datetime, timedelta

import jwt
from flask import Blueprint, current_app, jsonify, request

from ..models import ApiSession, User, db

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)

SESSION_HOURS = 24
ACCESS_TOKEN_MINUTES = 15


def _issue_access_token(user: User) -> str:
    now = datetime.utcnow()
    payload = {
        "sub": str(user.id),
        "iat": now,  # ok: issued-at stamp, not an expiry
        "exp": now + timedelta(minutes=ACCESS_TOKEN_MINUTES),  # expect: ARM104
        "scope": user.scope,
    }
    return jwt.encode(payload, current_app.config["JWT_SECRET"], algorithm="HS256")


@bp.post("/login")
def login():
    body = request.get_json(force=True)
    user = User.query.filter_by(email=body["email"].lower()).first()
    if user is None or not user.check_password(body["password"]):
        return jsonify(error="invalid_credentials"), 401

    token = secrets.token_urlsafe(32)
    # sessão persistida, validada por qualquer réplica da API
    sess = ApiSession(
        user_id=user.id,
        token=token,
        expires_at=datetime.utcnow() + timedelta(hours=SESSION_HOURS),  # expect: ARM104
    )
    db.session.add(sess)
    user.last_login_at = datetime.utcnow()  # ok: plain stamp, no expiry logic
    db.session.commit()
    log.info("login ok user=%s at=%s", user.id, datetime.utcnow().isoformat())  # ok: logging
    return jsonify(access_token=_issue_access_token(user), session=token)


@bp.post("/logout")
def logout():
    token = request.headers.get("X-Session", "")
    ApiSession.query.filter_by(token=token).delete()
    db.session.commit()
    return "", 204


@bp.get("/whoami")
def whoami():
    # ok: response timestamp for display only
    return jsonify(server_time=datetime.utcnow().strftime("%Y-%m-%d %H:%M:%S"))
