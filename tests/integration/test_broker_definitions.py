"""`eldernet node definitions` loaded into the real broker (management API, as `rabbitmqctl
import_definitions` does): the node's own user logs in with its URI's password and the code then
declares every queue exactly as defined (an argument that differed would be PRECONDITION_FAILED)
and nothing more; the link-queue policy applies; a child's user reaches its own link and no other."""
import json
import os
import subprocess
import sys
import urllib.parse
import uuid

import amqp
import pytest
import yaml
from kombu import Connection, Queue

from shared.broker_admin import BrokerAdmin, BrokerAdminError
from shared.broker_definitions import node_definitions, password_hash
from shared.config import DEFAULTS, load_config, merge
from shared.forwarding_wire import QUEUE_ARGUMENTS as FORWARDING_QUEUE_ARGUMENTS
from shared.publisher import connection_params
from shared.runner import declare_node_queues, installed_services
from shared.topology import LINK_QUEUE_ARGUMENTS, LINK_QUEUE_POLICY, child_link_queue, commands_queue
from tests.support.broker import wait_for

pytestmark = pytest.mark.integration
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def district(tmp_path):
    """A district node with a parent and two children, on its own vhost and users (removed after)."""
    tag = uuid.uuid4().hex[:8]
    vhost, user = f"eldernet-defs-{tag}", f"defs-{tag}-xinfu"
    children = [{"id": "xinfu-s03", "area_code": "210402003", "broker_user": f"defs-{tag}-s03"},
                {"id": "xinfu-s04", "area_code": "210402004", "broker_user": f"defs-{tag}-s04"}]
    config = merge(json.loads(json.dumps(DEFAULTS)), {
        "AMQP_URI": f"amqp://{user}:p%40ss-{tag}@127.0.0.1:5672/{vhost}",
        "ELDERNET": {"node": {"id": "xinfu", "tier": "district", "area_code": "210402", "parent": "fushun"},
                     "data_dir": str(tmp_path / "data"),
                     "sync": {"children": children, "link_queue_limit": 5000,
                              "parent": {"id": "fushun", "area_code": "2104", "broker_user": f"defs-{tag}-fushun",
                                         "amqp_uri": f"amqp://{user}:x@127.0.0.1:5672/eldernet-defs-{tag}-fushun"}}}})
    admin = BrokerAdmin()
    yield config, admin
    for path in [f"/api/vhosts/{vhost}", f"/api/users/{user}"] + [f"/api/users/{c['broker_user']}" for c in children]:
        try:
            admin.request("DELETE", path)
        except BrokerAdminError:
            pass


def listed(admin, what, vhost):
    return admin.request("GET", f"/api/{what}/{urllib.parse.quote(vhost, safe='')}")


def test_the_definitions_load_and_the_code_finds_every_queue_as_it_declares_it(district):
    config, admin = district
    definitions = node_definitions(config)
    vhost = definitions["vhosts"][0]["name"]
    admin.request("POST", "/api/definitions", definitions)  # what rabbitmqctl import_definitions does

    queues = {q["name"]: q for q in listed(admin, "queues", vhost)}
    assert set(queues) == {q["name"] for q in definitions["queues"]}
    assert all(queues[q["name"]]["arguments"] == q["arguments"] for q in definitions["queues"])
    for child in ("xinfu-s03", "xinfu-s04"):
        assert child_link_queue("booking", child) in queues and commands_queue("booking", child) in queues
    assert "eldernet.booking.down.xinfu.dlq" in queues  # what the parent sent that could not be taken, parked

    # The code, as the node's own user (the URI's password against the imported hash), declares the
    # same queues with the same arguments and bindings, and nothing the definitions lack.
    declare_node_queues(config, installed_services())
    with Connection(config["AMQP_URI"]) as connection:
        channel = connection.default_channel
        for child in ("xinfu-s03", "xinfu-s04"):
            for service in ("registry", "booking"):
                Queue(child_link_queue(service, child), durable=True, queue_arguments=LINK_QUEUE_ARGUMENTS)(channel).declare()
                Queue(commands_queue(service, child), durable=True,
                      queue_arguments=FORWARDING_QUEUE_ARGUMENTS)(channel).declare()
    assert {q["name"] for q in listed(admin, "queues", vhost)} == set(queues)
    bindings = {(b["source"], b["destination"], b["routing_key"]) for b in listed(admin, "bindings", vhost) if b["source"]}
    assert bindings == {(b["source"], b["destination"], b["routing_key"]) for b in definitions["bindings"]}

    link = child_link_queue("booking", "xinfu-s03")
    policy = wait_for(lambda: admin.queue(vhost, link).get("policy"), message="the link policy to apply")
    assert policy == LINK_QUEUE_POLICY
    assert admin.queue(vhost, link)["effective_policy_definition"]["max-length"] == 5000


def test_a_childs_user_reaches_its_own_link_and_nothing_else(district):
    config, admin = district
    definitions = node_definitions(config)
    vhost = definitions["vhosts"][0]["name"]
    admin.request("POST", "/api/definitions", definitions)
    declare_node_queues(config, installed_services())
    child = next(u["name"] for u in definitions["users"] if u["name"].endswith("-s03"))
    with Connection(config["AMQP_URI"]) as connection:
        for name in ("xinfu-s03", "xinfu-s04"):
            Queue(child_link_queue("booking", name), durable=True,
                  queue_arguments=LINK_QUEUE_ARGUMENTS)(connection.default_channel).declare()
    with pytest.raises(amqp.exceptions.AccessRefused):  # no password until the district team sets one
        amqp.Connection(**connection_params(f"amqp://{child}:anything@127.0.0.1:5672/{vhost}")).connect()

    admin.ensure_user(child, "s03-secret")  # `rabbitmqctl change_password`
    as_child = amqp.Connection(**connection_params(f"amqp://{child}:s03-secret@127.0.0.1:5672/{vhost}"))
    as_child.connect()
    try:
        channel = as_child.channel()
        channel.queue_declare(child_link_queue("booking", "xinfu-s03"), passive=True)
        channel.basic_get(child_link_queue("booking", "xinfu-s03"))
        with pytest.raises(amqp.exceptions.AccessRefused):
            as_child.channel().basic_get(child_link_queue("booking", "xinfu-s04"))
        with pytest.raises(amqp.exceptions.AccessRefused):
            as_child.channel().basic_get("eldernet.booking.on_facility_event")
    finally:
        as_child.collect()


def test_the_password_hash_is_rabbitmqs_salted_sha256():
    import base64
    import hashlib
    raw = base64.b64decode(password_hash("secret", salt=b"\x01\x02\x03\x04"))
    assert raw[:4] == b"\x01\x02\x03\x04" and raw[4:] == hashlib.sha256(b"\x01\x02\x03\x04secret").digest()
    assert password_hash("secret") != password_hash("secret")  # a fresh salt each time


def test_the_cli_writes_the_definitions_and_can_leave_the_childrens_users_out(district, tmp_path):
    config, _ = district
    path = tmp_path / "node.yaml"
    path.write_text(yaml.safe_dump(config))
    out = tmp_path / "definitions.json"
    result = subprocess.run([sys.executable, "-m", "shared.cli", "node", "definitions", "-c", str(path), "-o", str(out),
                             "--without-child-users"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    written = json.loads(out.read_text())
    expected = node_definitions(load_config(str(path)), child_users=False)
    assert [u["name"] for u in written["users"]] == [u["name"] for u in expected["users"]] == [config["AMQP_URI"].split(":")[1][2:]]
    for key in ("queues", "exchanges", "bindings", "policies", "permissions"):
        assert written[key] == expected[key]
    assert f"rabbitmqctl import_definitions {out}" in result.stderr
