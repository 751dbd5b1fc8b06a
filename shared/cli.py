"""The ``eldernet`` command line: set up, run and look after a node.

    eldernet node init --id xinfu --tier district --area-code 210402 --parent fushun -o xinfu.yaml
    eldernet node setup  -c xinfu.yaml       # create the node's RabbitMQ vhost
    eldernet node definitions -c xinfu.yaml > definitions.json   # the same, for rabbitmqctl import_definitions
    eldernet node upgrade -c xinfu.yaml      # migrate every service database (a node also does it on start)
    eldernet node run    -c xinfu.yaml       # all services in one process
    eldernet node run    -c xinfu.yaml --process-per-service
    eldernet node status -c xinfu.yaml       # stores, outbox backlogs, projections (no broker needed)
    eldernet node backup -c xinfu.yaml --to /backup/xinfu-2026-11-23   # while it runs
    eldernet node absorb -c s03-c001.yaml --from s03-c002.yaml   # a merge: take a retired node's stores in
    eldernet replay registry facility_list -c xinfu.yaml
    eldernet token create -c xinfu.yaml --area 210402 --role operator --expires-in-days 90
    eldernet token list   -c xinfu.yaml      # never shows secrets
    eldernet token revoke -c xinfu.yaml TOKEN_ID --reason "laptop lost"
    eldernet demo                            # a four-tier network on this machine
"""
from __future__ import annotations

import argparse
import logging
import sys


def main(argv: list[str] | None = None) -> int:
    # eventlet must patch the standard library before nameko, kombu or psycopg2 are imported.
    import eventlet

    eventlet.monkey_patch()
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=getattr(logging, args.log_level), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    from shared.broker_admin import BrokerAdminError
    from shared.config import ConfigError
    from shared.projections import UnknownProjection
    from shared.schema import SchemaMismatch

    try:
        return args.handler(args) or 0
    except ConfigError as error:
        print(f"eldernet: configuration error: {error}", file=sys.stderr)
        return 2
    except (UnknownProjection, BrokerAdminError, SchemaMismatch) as error:
        print(f"eldernet: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eldernet", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    commands = parser.add_subparsers(title="commands")

    node = commands.add_parser("node", help="set up, run and inspect a node").add_subparsers(title="node commands")
    init = node.add_parser("init", help="write a node config file from a few answers")
    init.add_argument("--id", required=True, help="node id: lowercase letters, digits and '-', e.g. xinfu")
    init.add_argument("--tier", required=True, choices=["city", "district", "town", "village"])
    init.add_argument("--area-code", required=True, help="GB/T 2260 code: 4 (city), 6 (district), 9 (town), 12 (village) digits")
    init.add_argument("--parent", help="the parent node's id (every tier but the city has one)")
    init.add_argument("--amqp-uri", help="the node's broker URI; default: local broker, vhost eldernet-<id>")
    init.add_argument("--data-dir", help="where the node's SQLite databases live; default var/<id>")
    init.add_argument("--metrics-port", type=int, help="serve Prometheus /metrics on this port")
    init.add_argument("--http-port", type=int, help="serve the node's HTTP API on 127.0.0.1:PORT (default 8000)")
    init.add_argument("-o", "--output", required=True, help="the config file to write")
    init.set_defaults(handler=_node_init)

    for name, handler, help_text in (("run", _node_run, "run the node's services until stopped"),
                                     ("setup", _node_setup, "create the node's vhost on the broker"),
                                     ("status", _node_status, "show the node's stores, outbox and projections"),
                                     ("upgrade", _node_upgrade, "migrate every service database to this version "
                                                                "(a node also does it on start), with progress")):
        sub = node.add_parser(name, help=help_text)
        sub.add_argument("-c", "--config", required=True, help="the node's config file (see `eldernet node init`)")
        sub.set_defaults(handler=handler)
        if name == "run":
            sub.add_argument("--only", action="append", metavar="SERVICE", help="run just this service (repeatable)")
            sub.add_argument("--process-per-service", action="store_true", help="one OS process per service")

    definitions = node.add_parser(
        "definitions", help="print the node's RabbitMQ definitions (JSON) for rabbitmqctl import_definitions",
        description="Vhost, users with least privilege, exchanges, queues, bindings and policies, generated from what "
                    "the node's services declare. Load with `rabbitmqctl import_definitions FILE` or the broker's "
                    "load_definitions at boot. Children's users get no password: set one with "
                    "`rabbitmqctl change_password USER PASSWORD` (docs/deploy.md).")
    definitions.add_argument("-c", "--config", required=True, action="append",
                             help="the node's config file; repeat it for several nodes on one broker (one file)")
    definitions.add_argument("-o", "--output", help="write to this file (default: standard output)")
    definitions.add_argument("--without-child-users", action="store_true",
                             help="leave the children's users out (importing them again would reset their passwords)")
    definitions.set_defaults(handler=_node_definitions)

    backup = node.add_parser("backup", help="copy the node's SQLite stores and key files, while it runs",
                             description="A consistent copy of each service's SQLite database (SQLite's online "
                                         "backup) and the data directory's key files, with manifest.json; for a "
                                         "PostgreSQL database it prints the pg_dump command. Restore: docs/deploy.md.")
    backup.add_argument("-c", "--config", required=True, help="the node's config file")
    backup.add_argument("--to", required=True, metavar="DIR", help="a new or empty directory")
    backup.set_defaults(handler=_node_backup)

    absorb = node.add_parser("absorb", help="a merge of two areas: take the retired node's stores into this node's",
                             description="Copies every service's events from the retired node's stores into this "
                                         "node's as received events (ids and versions kept, each once, read models "
                                         "updated) and merges the inboxes. Run it with both nodes stopped, after the "
                                         "retired node's uplink was drained; then list the retired area code in this "
                                         "node's node.former_area_codes and start it. Safe to run again. "
                                         "Steps: docs/sync.md, 'Merging two areas that each ran a node'.")
    absorb.add_argument("-c", "--config", required=True, help="the continuing node's config file")
    absorb.add_argument("--from", dest="retired", required=True, metavar="CONFIG",
                        help="the retired node's config file (its databases are read, never changed)")
    absorb.set_defaults(handler=_node_absorb)

    replay = commands.add_parser("replay", help="rebuild a read model by replaying the service's store")
    replay.add_argument("service", help="e.g. registry")
    replay.add_argument("projection", help="the projection's name")
    replay.add_argument("-c", "--config", required=True)
    replay.set_defaults(handler=_replay)

    _add_token_commands(commands)

    areas = commands.add_parser("areas", help="the node's area tree").add_subparsers(title="areas commands")
    area_import = areas.add_parser("import", help="import an area tree from a CSV or JSON file (all rows or none)",
                                   description="Columns: code, name, tier (city|district|town|village), parent, and "
                                               "optionally urban. The node must be running (the registry checks and "
                                               "records every row); every problem is reported with its row.")
    area_import.add_argument("file", help="a .csv file with a header row, or a .json list of objects")
    area_import.add_argument("-c", "--config", required=True, help="the node's config file")
    area_import.set_defaults(handler=_areas_import)

    sync = commands.add_parser("sync", help="tiered sync with the parent and child nodes").add_subparsers(
        title="sync commands")
    sync_status = sync.add_parser("status", help="per service and link: events waiting to be sent, their lag, what "
                                                 "was received, held events (read from the node's databases; works "
                                                 "while a link is down)")
    sync_status.add_argument("-c", "--config", required=True, help="the node's config file")
    sync_status.set_defaults(handler=_sync_status)
    reconcile = sync.add_parser(
        "reconcile", help="ask a neighbour to re-send everything it holds for this node over a link",
        description="Run at the receiving end. Sets this node's received cursor for the peer back and asks the "
                    "peer to re-send from there: what is here already is dropped, what is missing is stored. "
                    "The peer does it when it is running; the request waits in the broker until then.")
    reconcile.add_argument("-c", "--config", required=True, help="the node's config file")
    reconcile.add_argument("--peer", required=True, help="the parent's or a child's node id")
    reconcile.add_argument("--from", dest="from_position", type=_non_negative_int, default=0,
                           help="the peer's store position to re-send after (default 0: everything)")
    reconcile.set_defaults(handler=_sync_reconcile)

    demo = commands.add_parser("demo", help="run a four-tier network (city, district, town, village) on this machine")
    demo.add_argument("--seconds", type=float, default=3.0, help="how long to let the network run before stopping")
    demo.add_argument("--keep-running", action="store_true", help="leave the nodes running until Ctrl-C")
    demo.add_argument("--data-dir", default="var/demo")
    demo.set_defaults(handler=_demo)
    return parser


def _add_token_commands(commands) -> None:
    token = commands.add_parser("token", help="make, revoke and list the node's API tokens").add_subparsers(
        title="token commands")
    create = token.add_parser("create", help="make an API token and print it (the only time it is shown)")
    create.add_argument("--area", required=True, help="the area the token may act in: the node's area code or one inside it")
    create.add_argument("--role", required=True, choices=["viewer", "operator", "admin"],
                        help="viewer reads; operator also writes; admin also manages")
    create.add_argument("--expires-in-days", type=_positive_int, metavar="DAYS", help="default: never expires")
    create.add_argument("--label", default="", help="who or what the token is for, e.g. 'Xinfu front desk'")
    create.set_defaults(handler=_token_create)
    revoke = token.add_parser("revoke", help="revoke an API token at once")
    revoke.add_argument("token_id", metavar="TOKEN_ID", help="as shown by `eldernet token list`")
    revoke.add_argument("--reason", default="", help="why, for the node's event log")
    revoke.set_defaults(handler=_token_revoke)
    listing = token.add_parser("list", help="list the node's API tokens (never their secrets)")
    listing.set_defaults(handler=_token_list)
    for sub in (create, revoke, listing):
        sub.add_argument("-c", "--config", required=True, help="the node's config file")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days >= 1")
    return value


def _non_negative_int(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a store position (a whole number >= 0)")
    return int(text)


# The domain's field names, as the operator typed them on the command line.
_TOKEN_FLAGS = {"area_code": "--area", "role": "--role", "label": "--label", "expires_at": "--expires-in-days",
                "token_id": "TOKEN_ID"}


def _refused(command: str, error) -> int:
    print(f"eldernet: token {command}: {_TOKEN_FLAGS.get(error.field, error.field)}: {error.reason}", file=sys.stderr)
    return 2


def _token_create(args) -> int:
    from shared.aggregate import Rejected
    from shared.config import load_config
    from shared.events import format_time
    from shared.token_admin import issue_token

    config = load_config(args.config)
    try:
        text, record = issue_token(config, args.area, args.role, args.label, args.expires_in_days)
    except Rejected as error:
        return _refused("create", error)
    expires = format_time(record.expires_at) if record.expires_at else "never"
    print(f"API token {record.token_id} made: role {record.role}, area {record.area_code}, expires {expires}"
          + (f", label {record.label!r}" if record.label else ""))
    print(f"\n    {text}\n")
    print("This is the only time the token is shown (the node keeps only its SHA-256): store it now. Use it as")
    print(f'    curl -H "Authorization: Bearer {text}" http://{config["WEB_SERVER_ADDRESS"]}/api/v1/node/status')
    return 0


def _token_revoke(args) -> int:
    from shared.aggregate import Rejected
    from shared.config import load_config
    from shared.token_admin import revoke_token

    try:
        record = revoke_token(load_config(args.config), args.token_id, args.reason)
    except Rejected as error:
        return _refused("revoke", error)
    print(f"API token {record.token_id} ({record.role}, area {record.area_code}) is revoked")
    return 0


def _token_list(args) -> int:
    from shared.config import load_config
    from shared.events import format_time, utcnow
    from shared.token_admin import list_tokens

    records, now = list_tokens(load_config(args.config)), utcnow()
    if not records:
        print("no API tokens; make one with `eldernet token create`")
        return 0
    print(f"{'TOKEN ID':<17} {'ROLE':<9} {'AREA':<13} {'STATE':<8} {'EXPIRES':<28} LABEL")
    for r in records:
        expires = format_time(r.expires_at) if r.expires_at else "never"
        print(f"{r.token_id:<17} {r.role:<9} {r.area_code:<13} {r.state(now):<8} {expires:<28} {r.label}")
    return 0


def _node_init(args) -> int:
    from shared.nodeconfig import write_node_config

    path = write_node_config(args.output, node_id=args.id, tier=args.tier, area_code=args.area_code,
                             parent=args.parent, amqp_uri=args.amqp_uri, data_dir=args.data_dir,
                             metrics_port=args.metrics_port, http_port=args.http_port)
    print(f"wrote {path}; next: eldernet node setup -c {path} && eldernet node run -c {path}")
    return 0


def _node_run(args) -> int:
    from shared.config import eldernet_section, load_config
    from shared.node import Node
    from shared.runner import node_services, run_in_process, run_process_per_service

    config = load_config(args.config)
    Node.from_config(config)  # fail fast, with the field named, on a bad node section
    names = args.only or node_services(config)
    if args.process_per_service and len(names) > 1:
        return run_process_per_service(config, args.config, names,
                                       (eldernet_section(config).get("metrics") or {}).get("port"))
    return run_in_process(config, names)


def _node_setup(args) -> int:
    from shared.broker_admin import BrokerAdmin, user_of, vhost_of
    from shared.config import eldernet_section, load_config
    from shared.links import Topology
    from shared.runner import declare_node_queues, node_services

    config = load_config(args.config)
    admin = BrokerAdmin(eldernet_section(config).get("broker_admin_url") or "http://guest:guest@127.0.0.1:15672")
    vhost = vhost_of(config["AMQP_URI"])
    admin.ensure_vhost(vhost, user_of(config["AMQP_URI"]))
    names = node_services(config)
    declare_node_queues(config, names)
    print(f"vhost {vhost!r} ready for user {user_of(config['AMQP_URI'])!r}; "
          f"consumer queues of {', '.join(names)} declared")
    for line in _setup_child_links(admin, vhost, Topology.from_config(config), eldernet_section(config)):
        print(line)
    return 0


def _setup_child_links(admin, vhost: str, topology, section) -> list[str]:
    """The link-queue policy and each child's rights on this node's vhost (docs/sync.md)."""
    from shared.broker_admin import BrokerAdminError
    from shared.local_network import LINK_QUEUE_TTL_MS
    from shared.sync_relays import DEFAULT_LINK_QUEUE_LIMIT

    if not topology.children:
        return []
    limit = int((section.get("sync") or {}).get("link_queue_limit", DEFAULT_LINK_QUEUE_LIMIT))
    admin.ensure_link_policy(vhost, limit, LINK_QUEUE_TTL_MS)
    lines = [f"link queues of {len(topology.children)} children bounded to {limit} messages, 14 days"]
    for child in topology.children:
        try:
            admin.request("GET", f"/api/users/{child.broker_user}")
        except BrokerAdminError:
            lines.append(f"child {child.id}: no broker user {child.broker_user!r} yet; create it "
                         f"(rabbitmqctl add_user {child.broker_user} PASSWORD) and run node setup again")
            continue
        admin.grant_child_link(vhost, child.broker_user, child.id)
        lines.append(f"child {child.id}: user {child.broker_user!r} may use its link on {vhost!r} and nothing else")
    return lines


def _node_upgrade(args) -> int:
    from shared.config import load_config
    from shared.node_upgrade import upgrade_node

    def progress(name):
        def show(done, total):
            _progress_bar(done, total, f"replaying {name}")
        return show

    failed = upgrade_node(load_config(args.config), say=print, progress=progress)
    if failed:
        print(f"eldernet: not upgraded: {', '.join(failed)} (see above); the others are", file=sys.stderr)
        return 1
    print("every database is up to date")
    return 0


def _node_definitions(args) -> int:
    import json

    from shared.broker_definitions import merged, node_definitions
    from shared.config import load_config

    every = [node_definitions(load_config(path), child_users=not args.without_child_users) for path in args.config]
    text = json.dumps(every[0] if len(every) == 1 else merged(every), indent=2, ensure_ascii=False)
    if not args.output:
        print(text)
        return 0
    with open(args.output, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
    print(f"wrote {args.output}; load it with: rabbitmqctl import_definitions {args.output}", file=sys.stderr)
    return 0


def _node_backup(args) -> int:
    from shared.backup import backup_node
    from shared.config import load_config

    try:
        backup_node(load_config(args.config), args.to, say=print)
    except FileExistsError as error:
        print(f"eldernet: {error}", file=sys.stderr)
        return 2
    print(f"backup in {args.to} (manifest.json lists what it holds)")
    return 0


def _node_absorb(args) -> int:
    from shared.absorb import AbsorbError, absorb_node
    from shared.config import load_config

    try:
        results = absorb_node(load_config(args.config), load_config(args.retired), progress=_progress_bar)
    except AbsorbError as error:
        print(f"eldernet: {error}", file=sys.stderr)
        return 1
    for result in results:
        if result.skipped:
            print(f"{result.service}: nothing to take ({'; '.join(result.skipped)})")
        else:
            print(f"{result.service}: {result.read} events read, {result.stored} stored here "
                  f"({result.read - result.stored} held already), {result.inbox} inbox entries merged")
    print("next: list the retired area code in node.former_area_codes and start the node (docs/sync.md)")
    return 0


def _node_status(args) -> int:
    from shared.config import load_config
    from shared.status import node_status, print_status

    print_status(node_status(load_config(args.config)))
    return 0


def _replay(args) -> int:
    from shared.config import load_config
    from shared.status import replay_projection

    replayed = replay_projection(load_config(args.config), args.service, args.projection, progress=_progress_bar)
    print(f"\nrebuilt {args.service}.{args.projection} from {replayed} events")
    return 0


def _progress_bar(done: int, total: int, what: str = "replaying") -> None:
    share = done / total if total else 1.0
    bar = "#" * int(share * 30)
    print(f"\r  {what} [{bar:<30}] {done:,}/{total:,} events ({share:.0%})", end="" if done < total else "\n",
          file=sys.stderr, flush=True)


def _areas_import(args) -> int:
    from nameko.exceptions import RemoteError, UnknownService
    from nameko.standalone.rpc import ClusterRpcProxy

    from shared.config import load_config
    from shared.rowfile import RowFileError, read_rows

    try:
        rows = read_rows(args.file)
    except RowFileError as error:
        print(f"eldernet: {error}", file=sys.stderr)
        return 2
    print(f"importing {len(rows)} rows from {args.file} ...", file=sys.stderr)
    try:
        with ClusterRpcProxy(load_config(args.config), timeout=300) as cluster:
            result = cluster.registry.import_areas(rows)
    except UnknownService:
        print("eldernet: the registry is not running on this node; start it with `eldernet node run`", file=sys.stderr)
        return 1
    except RemoteError as error:
        print(f"eldernet: nothing imported: {error.value}".replace("; row", "\n  row"), file=sys.stderr)
        return 1
    print(f"imported {result['rows']} rows: {result['registered']} new areas "
          f"({result['rows'] - result['registered']} already registered)")
    return 0


def _sync_status(args) -> int:
    from shared.config import load_config
    from shared.sync_status import print_sync_status, sync_status

    print_sync_status(sync_status(load_config(args.config)))
    return 0


def _sync_reconcile(args) -> int:
    from shared.config import ConfigError, load_config
    from shared.publisher import PublishError
    from shared.sync_reconcile import reconcile

    try:
        lines = reconcile(load_config(args.config), args.peer, args.from_position)
    except PublishError as error:
        print(f"eldernet: cannot reach the broker of the link ({error}); is it running? nothing was asked",
              file=sys.stderr)
        return 1
    except ConfigError as error:
        print(f"eldernet: {error}", file=sys.stderr)
        return 2
    for line in lines:
        print(line)
    return 0


def _demo(args) -> int:
    from shared.demo import run_demo

    return run_demo(data_dir=args.data_dir, seconds=args.seconds, keep_running=args.keep_running)


if __name__ == "__main__":
    sys.exit(main())
