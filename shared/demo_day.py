"""``eldernet demo``'s simulated day: bookings, subsidies and an SOS on the seeded network.

Driven over RPC as a district team's systems would drive it, each write at its record's home node:
the city publishes a subsidy policy; elders of the village and the town book meals, day care, home
cleaning and a bed (most are checked in and delivered, one is cancelled, one is a no-show); the
deliveries are priced by billing at their home node, the claims submitted and approved there, and
the month's statements read at every tier once the lines have synced up; an SOS button pressed
at the village escalates to the town (the village's check run at a time past the limit: the alerts
service takes its clock from the caller) and is acknowledged there.

Every wait has a deadline that names what it waited for; a step that fails is reported and the
demo goes on (the statistics and sync links are printed whatever the day did). The day's lines
go to the terminal and to ``<data dir>/report.txt``. Pure helpers (the plan, tallies, formats)
are at the top and unit-tested (tests/unit/test_demo_day.py); the RPC driving is below them.
"""
from __future__ import annotations

import importlib
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from nameko.standalone.rpc import ClusterRpcProxy

from shared.config import load_config
from shared.demo_offline import village_offline

# Beijing time, as the booking service counts days (a fixed offset: China has one zone, no DST).
LOCAL = timezone(timedelta(hours=8), "CST")
VILLAGE, TOWN = "xinfu-s03-c001", "xinfu-s03"
VILLAGE_AREA, TOWN_AREA = "210402003001", "210402003"
# The month's statement, per area and the node that writes it (each at its own home node).
STATEMENT_AREAS = (("xinfu-s03-c001", "210402003001"), ("xinfu-s03", "210402003"), ("xinfu", "210402"),
                   ("fushun", "2104"))
CARERS_MINUTES = 480  # the village centre's home-care staff: one carer's day
SOS_PAST_LIMIT = timedelta(minutes=3)  # past the critical limit (2 min), before the next tier's (4 min)
WAIT_SECONDS = 45
DISABLED = ("partly_disabled", "fully_disabled")
OLD_AGE = 80  # the policy pays for elders this old whatever their level
READER = {"token_id": "eldernet-demo", "area_code": "2104", "role": "viewer"}

# A small city policy in the shape of services/billing/domain/policy_file.py: government-purchased
# home care (政府购买居家养老服务) for the disabled aged 60+ and everyone aged 80+ (DOMAIN.md "Subsidies").
POLICY = {
    "id": "fushun-home-care", "version": 1, "name": "抚顺市政府购买居家养老服务", "set_by": "2104",
    "eligible": [{"min_age": 60, "disability_levels": ["partly_disabled", "fully_disabled"]}, {"min_age": 80}],
    "services": {"meals": {"unit": "meals", "rate_fen": 1000}, "day_care": {"unit": "days", "rate_fen": 3000},
                 "cleaning": {"unit": "minutes", "rate_fen": 50}, "bathing": {"unit": "sessions", "rate_fen": 4000}},
    "monthly_cap_fen": 40000, "copay_share": "10%", "budget_line": "home-care-purchase",
    "effective_from": "2026-01-01",
}


class StepFailed(Exception):
    """A step of the day could not be done; the message says which and why."""


@dataclass(frozen=True)
class Planned:
    """One booking of the day and what happens to it after the request."""
    node: str        # the facility's home node, which writes the booking
    tier: str
    elder: str       # elder_id
    elder_name: str
    facility: str    # facility_id
    facility_name: str
    service: str
    when: dict
    then: tuple = ()  # steps after the request: check_in, deliver, cancel, no_show


@dataclass
class Report:
    """The day's lines, said as they come and kept for the report file."""
    lines: list = field(default_factory=list)
    failures: list = field(default_factory=list)

    def say(self, message: str) -> None:
        self.lines.append(message)
        print(f"[demo] {message}", flush=True)

    def failed(self, step: str, error: BaseException) -> None:
        self.failures.append(step)
        self.say(f"day: {step} FAILED: {type(error).__name__}: {error}")


# -- pure: the plan, tallies and formats --------------------------------------------------------
def local_today(now: datetime) -> date:
    return now.astimezone(LOCAL).date()


def oldest(elders: list[dict], count: int) -> list[dict]:
    """The ``count`` oldest elders, oldest first."""
    return sorted(elders, key=lambda e: (e["birth_date"], e["elder_id"]))[:count]


def likeliest_eligible(part: dict, count: int, today: date) -> list[dict]:
    """``count`` elders of a seed slice, those the city's policy pays for first (assessed partly or
    fully disabled, or aged 80+), the oldest first within each group: a day whose every delivery is
    refused a subsidy would show little of billing."""
    disabled = {a["elder_id"] for a in part.get("assessments", ()) if a.get("level") in DISABLED}
    born_by = f"{today.year - OLD_AGE:04d}-{today:%m-%d}"  # ISO dates compare as text
    return sorted(oldest(part["elders"], len(part["elders"])),
                  key=lambda e: e["elder_id"] not in disabled and e["birth_date"] > born_by)[:count]


def offering(facilities: list[dict], service: str, capacity: str | None = None) -> dict:
    """The first facility (by id, for a stable plan) offering ``service``, with ``capacity`` if named."""
    for facility in sorted(facilities, key=lambda f: f["facility_id"]):
        if service in facility["services"] and (capacity is None or facility["capacity"][capacity] > 0):
            return facility
    raise StepFailed(f"no seeded facility offers {service}" + (f" with {capacity}" if capacity else ""))


def plan_day(village: dict, town: dict, today: date) -> list[Planned]:
    """The day's bookings from the seed slices of the village and the town (``seed_loader.part_of``).

    Village facilities book the village's own elders; the town's nursing home admits a town elder
    (its beds, so occupancy moves). Seeded places are few at 1:100 (a canteen seat, a day place), so
    each facility's daily places go to one elder a day; a second request for a taken seat waits."""
    tomorrow = today + timedelta(days=1)
    day, next_day = {"day": today.isoformat()}, {"day": tomorrow.isoformat()}
    v = likeliest_eligible(village, 5, today)
    t = likeliest_eligible(town, 4, today)
    if len(v) < 5 or len(t) < 4:
        raise StepFailed(f"the seed has too few elders ({len(v)} village, {len(t)} town) for the day")
    centre = offering(village["facilities"], "cleaning", "canteen_seats")
    day_care = offering([f for f in village["facilities"] if f is not centre], "day_care", "day_places")
    home = offering(town["facilities"], "admission", "general_beds")
    canteen = offering([f for f in town["facilities"] if f is not home], "meals", "canteen_seats")
    town_day_care = offering([f for f in town["facilities"] if f not in (home, canteen)], "day_care", "day_places")

    def at(node, tier, elder, facility, service, when, *then):
        return Planned(node, tier, elder["elder_id"], elder["name"], facility["facility_id"], facility["name"],
                       service, when, then)

    served = ("check_in", "deliver")
    return [
        at(VILLAGE, "village", v[0], centre, "meals", day, *served),
        at(VILLAGE, "village", v[0], centre, "cleaning", {**day, "minutes": 60}, *served),
        at(VILLAGE, "village", v[1], centre, "day_care", day, *served),
        at(VILLAGE, "village", v[2], day_care, "meals", day, "no_show"),
        at(VILLAGE, "village", v[3], day_care, "day_care", day, *served),
        at(VILLAGE, "village", v[4], centre, "meals", day),  # the seat is taken: waits
        at(VILLAGE, "village", v[4], centre, "meals", next_day),
        at(VILLAGE, "village", v[1], day_care, "meals", next_day, "cancel"),
        at(TOWN, "town", t[0], home, "admission", {**day, "until": (today + timedelta(days=30)).isoformat()},
           "check_in"),
        at(TOWN, "town", t[1], canteen, "meals", day, *served),
        at(TOWN, "town", t[2], town_day_care, "day_care", day, *served),
        at(TOWN, "town", t[3], canteen, "meals", next_day),
    ]


def status_of(booking: dict) -> str:
    return "waiting" if booking.get("status") == "requested" and booking.get("waiting") else booking["status"]


def tally(bookings: list[tuple[str, dict]]) -> dict[str, dict]:
    """Per tier: bookings by state and units delivered by unit, from (tier, booking answer) pairs."""
    tiers: dict[str, dict] = {}
    for tier, booking in bookings:
        entry = tiers.setdefault(tier, {"states": Counter(), "delivered": Counter()})
        entry["states"][status_of(booking)] += 1
        if booking.get("units_delivered"):
            entry["delivered"][booking["unit"]] += booking["units_delivered"]
    return tiers


def yuan(fen: int) -> str:
    """Integer fen as yuan with two decimals, exactly (no float): 12345 → '123.45'."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def counts(counter: Counter) -> str:
    return ", ".join(f"{key} {counter[key]}" for key in sorted(counter)) or "none"


def statement_line(label: str, statement: dict) -> str:
    return (f"  {label:<24} {statement['month']}  lines {statement['lines']:>2}  "
            f"gross {yuan(statement['gross_fen']):>8}  subsidy {yuan(statement['subsidy_fen']):>8}  "
            f"co-payment {yuan(statement['copay_fen']):>7} yuan  "
            f"({statement['status']})")


def policy_summary(policy: dict) -> str:
    rates = ", ".join(f"{service} {yuan(rate['rate_fen'])} yuan a {rate['unit'].rstrip('s')}"
                      for service, rate in policy["services"].items())
    return (f"{policy['name']} ({policy['id']} v{policy['version']}): {rates}; co-payment "
            f"{policy['copay_share']}, at most {yuan(policy['monthly_cap_fen'])} yuan a month")


def seconds_between(earlier: str, later: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


def alert_history(alert: dict) -> list[str]:
    """The alert's course, from its answer at the node that acknowledged it."""
    lines = [f"  raised    {alert['raised_at']}  {alert['severity']} {alert['kind']} at the {alert['home_tier']} "
             f"(area {alert['area_code']}, {alert['source']} {alert['source_ref']})"]
    if alert.get("reached"):
        lines.append(f"  escalated to the {alert['reached']} (no acknowledgment at the {alert['home_tier']} "
                     "within the limit)")
    if alert.get("acked_at"):
        lines.append(f"  acknowledged {alert['acked_at']}  by {alert['acked_by']} at the {alert['acked_tier']}  "
                     f"after {seconds_between(alert['raised_at'], alert['acked_at']):.1f} s")
    return lines


# -- driving the nodes over RPC ----------------------------------------------------------------------
class Nodes:
    """RPC to the demo's nodes by id, one short-lived cluster proxy per call."""

    def __init__(self, configs: dict[str, str], timeout: float = 30):
        self.configs, self.timeout = configs, timeout

    def call(self, node: str, service: str, method: str, *args):
        with ClusterRpcProxy(load_config(self.configs[node]), timeout=self.timeout) as cluster:
            return getattr(getattr(cluster, service), method)(*args)

    def http_get(self, node: str, service: str, path: str, query: dict | None = None) -> dict:
        """A read through the service's HTTP operations, as the gateway sends it (a viewer of the city)."""
        answer = self.call(node, service, "http", {"method": "GET", "path": path, "query": query or {},
                                                   "body": None, "principal": READER})
        if answer["status"] != 200:
            raise StepFailed(f"GET {service} {path} at {node}: {answer['status']} {answer.get('body')}")
        return answer["body"]


def _kept(answer, test):
    """``answer`` when it passes ``test``, else None: a probe for wait_for."""
    return answer if test(answer) else None


def wait_for(what: str, probe, timeout: float = WAIT_SECONDS):
    """``probe()``'s first truthy answer; StepFailed naming ``what`` when none comes in time.
    A probe that raises (not there yet, over RPC) counts as not yet."""
    deadline, last = time.monotonic() + timeout, None
    while True:  # asked at least once, whatever the timeout
        try:
            answer = probe()
            if answer:
                return answer
        except Exception as error:  # noqa: BLE001 - NotFound and the like over RPC: not yet
            last = error
        if time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    raise StepFailed(f"gave up waiting {timeout:.0f} s for {what}" + (f" (last answer: {last})" if last else ""))


def run_day(configs: dict[str, str], scale: int, data_dir: str) -> Report:
    """The simulated day; each step reported, a failed one named, the report written to a file."""
    report, nodes = Report(), Nodes(configs)
    started = time.monotonic()
    report.say(f"a simulated day (Beijing time {datetime.now(LOCAL):%Y-%m-%d %H:%M}): subsidies, bookings, an SOS, "
               "a village offline")
    today = local_today(datetime.now(timezone.utc))
    try:
        plan = plan_day(*_seed_slices(scale), today)
    except Exception as error:  # noqa: BLE001 - the demo goes on to its statistics
        report.failed("planning the day from the seed", error)
        return _written(report, data_dir)
    booked: list = []  # (Planned, the booking's final answer), for billing
    steps = (("the city's subsidy policy", lambda: _publish_policy(nodes, report)),
             ("bookings", lambda: _book(nodes, report, plan, booked)),
             ("billing", lambda: _bill(nodes, report, booked, today)),
             ("an SOS", lambda: _sos(nodes, report, plan[0])),
             ("the village offline", lambda: village_offline(nodes, report, configs, wait_for, VILLAGE, VILLAGE_AREA)))
    for name, step in steps:
        try:
            step()
        except Exception as error:  # noqa: BLE001 - report it and go on: the demo must end with its statistics
            report.failed(name, error)
    report.say(f"the day took {time.monotonic() - started:.1f} s"
               + (f"; failed steps: {', '.join(report.failures)}" if report.failures else ""))
    return _written(report, data_dir)


def _seed_slices(scale: int) -> tuple[dict, dict]:
    seed = importlib.import_module("services.registry.seed").build_seed(scale=scale)
    loader = importlib.import_module("services.registry.seed_loader")
    return (loader.part_of(seed, VILLAGE_AREA, with_areas=False),
            loader.part_of(seed, TOWN_AREA, excluding=(VILLAGE_AREA,), with_areas=False))


def _written(report: Report, data_dir: str) -> Report:
    path = os.path.abspath(os.path.join(data_dir, "report.txt"))
    with open(path, "w", encoding="utf-8") as out:
        out.write("\n".join(report.lines) + "\n")
    report.say(f"the day's report is in {path}")
    return report


# -- 1. the city's policy, down to the village ------------------------------------------------------
def _publish_policy(nodes: Nodes, report: Report) -> None:
    answer = nodes.call("fushun", "billing", "load_policies", {"policies": [POLICY]})
    report.say(f"day: the city loads its subsidy policy: {policy_summary(POLICY)}; "
               f"published {', '.join(answer['published']) or 'nothing new'}")
    started = time.monotonic()
    for node, area in ((TOWN, TOWN_AREA), (VILLAGE, VILLAGE_AREA)):
        wait_for(f"policy {POLICY['id']} to reach node {node}",
                 lambda: any(p.get("policy_id") == POLICY["id"] for p in nodes.call(node, "billing", "policies", area)))
    report.say(f"  it reached the town and the village {time.monotonic() - started:.1f} s later")


# -- 2. bookings ----------------------------------------------------------------------------------
def _book(nodes: Nodes, report: Report, plan: list[Planned], booked: list) -> None:
    """Request, then follow each booking's plan; ``booked`` gets (planned, final answer) pairs."""
    centre = next(p for p in plan if p.service == "cleaning")  # carers' minutes are set by the staff
    nodes.call(centre.node, "booking", "set_capacity", centre.facility, {"pool": "carers", "units": CARERS_MINUTES})
    report.say(f"day: {centre.facility_name} sets its carers' time to {CARERS_MINUTES} minutes a day")
    home = next(p for p in plan if p.service == "admission")
    before = _residents(nodes, home)
    report.say(f"day: {len(plan)} bookings at the village and the town, each at its facility's home node:")
    answers = []
    for item in plan:
        booking = nodes.call(item.node, "booking", "request_booking", {
            "elder_id": item.elder, "facility_id": item.facility, "service": item.service, "when": item.when})
        booking = _follow(nodes, item, booking)
        answers.append((item, booking))
        report.say(f"  {item.tier:<7} {item.elder_name:<4} {item.service:<9} {item.when['day']} at "
                   f"{item.facility_name}: {status_of(booking)}")
    final = [(item.tier, nodes.call(item.node, "booking", "get_booking", b["booking_id"])) for item, b in answers]
    for tier, entry in tally(final).items():
        report.say(f"  {tier}: bookings {counts(entry['states'])}; delivered {counts(entry['delivered'])}")
    booked[:] = [(item, booking) for (item, _), (_, booking) in zip(answers, final)]
    after = wait_for(f"the registry at {home.node} to count the admission at {home.facility_name}",
                     lambda: _kept(_residents(nodes, home), lambda f: f["residents"] > before["residents"]))
    beds = after["capacity"]["general_beds"] + after["capacity"]["nursing_beds"]
    report.say(f"  occupancy of {home.facility_name}: {before['residents']} → {after['residents']} residents "
               f"of {beds} beds ({100 * after['residents'] / beds:.0f} %)")


def _follow(nodes: Nodes, item: Planned, booking: dict) -> dict:
    bodies = {"cancel": {"by": "elder", "reason": "家里有事，改天再来"}, "deliver": None, "check_in": None,
              "no_show": None}
    for action in item.then:
        body = {"units": item.when.get("minutes") or 1} if action == "deliver" else bodies[action]
        booking = nodes.call(item.node, "booking", "change_booking", booking["booking_id"], action, body)
    return booking


def _residents(nodes: Nodes, item: Planned) -> dict:
    return nodes.http_get(item.node, "registry", f"/facilities/{item.facility}")


# -- 3. billing ---------------------------------------------------------------------------------
def _bill(nodes: Nodes, report: Report, booked: list, today: date) -> None:
    delivered = [(item, b) for item, b in booked if b["status"] == "delivered"]
    if not delivered:
        raise StepFailed("no delivered bookings to price (the bookings step did not finish)")
    report.say(f"day: billing prices the {len(delivered)} deliveries at their home nodes; "
               "the village and the town submit and approve them:")
    approved = Counter()
    for item, booking in delivered:
        claim = wait_for(f"billing at {item.node} to price booking {booking['booking_id']}",
                         lambda: nodes.call(item.node, "billing", "get_claim", booking["booking_id"]))
        if claim["status"] == "priced":
            nodes.call(item.node, "billing", "review_claim", booking["booking_id"], "submit", {"by": "社区 李会计"})
            claim = nodes.call(item.node, "billing", "review_claim", booking["booking_id"], "approve",
                               {"by": "街道 民政科 赵"})
            approved[item.tier] += 1
        report.say(f"  {item.tier:<7} {item.elder_name:<4} {item.service:<9} {claim['units']} {claim['unit']}: "
                   f"{claim['status']}" + (f" ({claim['not_eligible']})" if claim.get("not_eligible") else
                                           f", subsidy {yuan(claim['subsidy_fen'])} co-payment "
                                           f"{yuan(claim['copay_fen'])} yuan"))
    month = today.strftime("%Y-%m")
    started = time.monotonic()
    report.say(f"day: the month's statements ({month}), each read at its area's node once the lines synced up:")
    for node, area in STATEMENT_AREAS:
        expected = approved["village"] if area == VILLAGE_AREA else sum(approved.values())
        statement = wait_for(f"the statement of {area} for {month} at node {node} to hold its {expected} lines",
                             lambda: _statement_with(nodes, node, area, month, expected))
        report.say(statement_line(f"{node} ({area})", statement))
    report.say(f"  the city's statement was complete {time.monotonic() - started:.1f} s after the approvals")


def _statement_with(nodes: Nodes, node: str, area: str, month: str, lines: int):
    statement = nodes.call(node, "billing", "statement", area, month)
    return statement if statement["lines"] >= lines else None


# -- 4. an SOS ---------------------------------------------------------------------------------------
def _sos(nodes: Nodes, report: Report, someone: Planned) -> None:
    device = f"sos-{someone.elder[:8]}"
    nodes.call(VILLAGE, "alerts", "register_device", {"device_id": device, "device_type": "sos_button",
                                                      "area_code": VILLAGE_AREA, "elder_id": someone.elder})
    pressed = datetime.now(LOCAL).isoformat(timespec="seconds")
    answer = nodes.call(VILLAGE, "alerts", "signal", {"device_id": device, "kind": "sos", "at": pressed})
    alert_id = answer["alarms"][0]["alert_id"]
    alert = nodes.call(VILLAGE, "alerts", "get_alert", alert_id)
    report.say(f"day: {someone.elder_name} presses the SOS button {device} at {pressed}: alert {alert_id} "
               f"({alert['severity']}), {alert['status']} at the {alert['tier']}")
    check_at = (datetime.fromisoformat(alert["raised_at"]) + SOS_PAST_LIMIT).isoformat()
    nodes.call(VILLAGE, "alerts", "check", check_at)
    report.say(f"  nobody at the village acknowledges it; the village's check runs at {check_at} "
               f"(raised + {SOS_PAST_LIMIT.seconds // 60} min, past the critical limit)")
    started = time.monotonic()
    at_town = wait_for(f"alert {alert_id} to reach the town escalated",
                       lambda: _kept(nodes.call(TOWN, "alerts", "get_alert", alert_id), lambda a: a["tier"] == "town"))
    report.say(f"  the town holds it {time.monotonic() - started:.1f} s later: {at_town['status']}, "
               f"tier {at_town['tier']}")
    acked = nodes.call(TOWN, "alerts", "acknowledge", alert_id, "福民街道 值班员 王")
    report.say(f"  acknowledged at the town by {acked['acked_by']}; its history:")
    for line in alert_history(acked):
        report.say(line)
    back = wait_for(f"the town's acknowledgment of {alert_id} to come down to the village",
                    lambda: _kept(nodes.call(VILLAGE, "alerts", "get_alert", alert_id),
                                  lambda a: a["status"] == "acknowledged"))
    report.say(f"  the village sees it {back['status']} by the {back['acked_tier']}; time to acknowledge "
               f"{seconds_between(back['raised_at'], back['acked_at']):.1f} s of real time (the escalation "
               f"was decided on a clock {SOS_PAST_LIMIT.seconds // 60} min ahead)")
