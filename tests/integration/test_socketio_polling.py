"""Socket.IO's long-polling transport as REST on /socket.io (Chalice test client, moto): the
handshake, POSTed packets and polled answers; nothing is served before a valid namespace connect."""

from __future__ import annotations

import json

from tests.support.api import Api, TenantWorld

POLL = "/socket.io/?EIO=4&transport=polling"


def handshake(api: Api) -> str:
    reply = api.as_(None).get(POLL)
    assert reply.status == 200 and isinstance(reply.body, str) and reply.body.startswith("0{"), reply
    opened = json.loads(reply.body[1:])
    assert opened["upgrades"] == ["websocket"] and opened["maxPayload"] == 32768
    return str(opened["sid"])


def post(api: Api, sid: str, *packets: str) -> None:
    text = {"Content-Type": "text/plain;charset=UTF-8"}
    reply = api.as_(None).call("POST", f"{POLL}&sid={sid}", raw="\x1e".join(packets), headers=text)
    assert (reply.status, reply.body) == (200, "ok"), reply


def test_a_namespace_connect_over_polling_is_answered_on_the_next_poll(api: Api, alpha: TenantWorld) -> None:
    sid = handshake(api)
    post(api, sid, "40/cocina," + json.dumps({"token": alpha.tokens["cocina"]}))
    assert api.as_(None).get(f"{POLL}&sid={sid}").body == '40/cocina,{"sid":"poll:' + sid + '"}'


def test_polling_serves_nothing_without_a_valid_token(api: Api) -> None:
    sid = handshake(api)
    post(api, sid, '40/cocina,{"token":"not-a-jwt"}', '42/cocina,["subscribe","cocina:centro"]')
    answers = api.as_(None).get(f"{POLL}&sid={sid}").body.split("\x1e")
    assert answers == ['44/cocina,{"message":"invalid token"}', '44/cocina,{"message":"not connected to this namespace"}']


def test_unknown_sessions_versions_and_transports_are_400(api: Api) -> None:
    assert api.as_(None).get(f"{POLL}&sid=nope").status == 400
    assert api.as_(None).get("/socket.io/?EIO=3&transport=polling").status == 400
    assert api.as_(None).get("/socket.io/?EIO=4&transport=flash").status == 400
