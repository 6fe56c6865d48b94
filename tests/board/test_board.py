"""The control-room board in Debian's Chromium, against the service with the demo night: signing in,
the night on the list and on its page, a change made through the API appearing within 2 s, a dropped
connection and the events it missed, the control room's actions, need to know, keyboard and tablet, and
axe-core on every page. The screenshots in the README are taken here."""

import datetime
import re
import time

import pytest
from playwright.sync_api import expect

from .conftest import assert_accessible, new_page, save_screenshot, sign_in

pytestmark = pytest.mark.timeout(240)

LARCH = "14 Larch Close, Northshire NE3 2QX"


def soon(minutes):
    return (datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=minutes)).isoformat()


def night_incident(stack):
    """The demo night's incident, as the police control room's phone reads it."""
    phone = stack.server.login("carl")
    incidents = phone.get("/incidents/", status="open").json()["results"]
    return next(i for i in incidents if i["address_line"] == LARCH)


def open_incident(page, stack, incident):
    page.goto(f"{stack.server.http}/board/incidents/{incident['id']}/")
    expect(page.locator("#headline li").first).to_be_visible()
    expect(page.locator("#live")).to_have_text("Live")


def attendance_row(page, agency_name):
    return page.locator("#attendance tr", has=page.get_by_role("rowheader", name=agency_name))


@pytest.fixture
def refused_sign_in(page_errors):
    """The browser logs a refused sign-in (401) as a failed request: expected where a test makes one."""
    page_errors.expected.append("401")


@pytest.mark.usefixtures("refused_sign_in")
def test_signing_in_shows_the_demo_night_on_the_list(page, board_stack):
    page.goto(f"{board_stack.server.http}/board/")
    expect(page).to_have_url(re.compile(r"/board/sign-in/\?next=%2Fboard%2F$"))
    assert_accessible(page)
    page.get_by_label("Username").fill("priya")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#sign-in-error")).to_have_text("Wrong username or password.")
    sign_in(page, board_stack, "priya")
    row = page.locator("#incident-rows tr", has_text=LARCH)
    expect(row).to_be_visible()
    expect(row).to_contain_text("Critical: Threats to staff")
    expect(row).to_contain_text("Northshire Police: Not answered")
    expect(row).to_contain_text("Northshire Emergency Duty Team: Cannot attend")
    expect(page.locator("#live")).to_have_text("Live")
    expect(page.locator("#me")).to_contain_text("Insp Priya Shah")
    # No token anywhere the page can reach: nothing stored, the session cookie out of the script's sight.
    assert page.evaluate("() => [localStorage.length, sessionStorage.length]") == [0, 0]
    assert "csrftoken=" in page.evaluate("() => document.cookie")
    assert "sessionid" not in page.evaluate("() => document.cookie")
    session = next(c for c in page.context.cookies() if c["name"] == "sessionid")
    assert session["httpOnly"]
    assert "token" not in page.url
    assert_accessible(page)
    save_screenshot(page, "board-list")


def test_the_incident_page_shows_the_night_in_words_and_the_family_as_a_diagram(page, board_stack):
    incident = night_incident(board_stack)
    sign_in(page, board_stack, "priya")
    open_incident(page, board_stack, incident)
    headline = page.locator("#headline li")
    expect(headline.first).to_contain_text("Dean Vale, father of the unborn child: threats to staff")
    expect(headline.first).to_contain_text("Danger")
    assert headline.count() <= 7
    diagram = page.locator("#diagram svg")
    expect(diagram).to_have_attribute("role", "img")
    expect(diagram.locator("text.node-title", has_text="Dean Vale")).to_be_visible()
    expect(diagram.locator("text.edge-label", has_text="father of the unborn child")).to_be_visible()
    # Officer safety first, in words as well as colour.
    expect(page.locator("#flags > li").first).to_have_class(re.compile("officer-safety"))
    expect(page.locator("#flags > li").first).to_contain_text("Critical: Threats to staff")
    expect(page.locator("#plans")).to_contain_text("Call the EDT duty manager")
    expect(page.locator("#plans .read-state")).to_contain_text("Not read by")
    expect(attendance_row(page, "Northshire Emergency Duty Team")).to_contain_text("Cannot attend")
    expect(page.locator("#decision-maker")).to_contain_text("No decision maker")
    expect(page.locator("#timeline li")).to_have_count(incident["last_seq"])
    assert_accessible(page)
    save_screenshot(page, "board-incident", full_page=True)


def test_the_control_room_asks_an_agency_stands_it_down_and_acknowledges(page, board_stack):
    incident = night_incident(board_stack)
    sign_in(page, board_stack, "priya")
    open_incident(page, board_stack, incident)
    page.get_by_label("Ask an agency to attend").select_option(label="Northshire Community Midwifery")
    page.get_by_label("Answer within (minutes)").fill("15")
    page.get_by_role("button", name="Request").click()
    midwives = attendance_row(page, "Northshire Community Midwifery")
    expect(midwives).to_contain_text("Requested")

    midwives.get_by_role("button", name="Stand down Northshire Community Midwifery").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Why are they no longer needed?").fill("Paramedics delivered the baby")
    dialog.get_by_role("button", name="Stand down").click()
    expect(midwives).to_contain_text("Stood down")

    first_flag = page.locator("#flags > li").first
    first_flag.get_by_role("button", name=re.compile("^Mark as read")).click()
    expect(first_flag).to_contain_text("Read by Insp Priya Shah")

    # Half an hour with no decision maker accepted (if the test before did not appoint one) or the
    # requests unanswered: the worker raises escalations to the control room; one is acknowledged here.
    escalation = page.locator("#escalations li", has=page.get_by_role("button", name="Acknowledge")).first
    expect(escalation).to_be_visible(timeout=30000)
    escalation_id = escalation.get_attribute("data-escalation")
    escalation.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("#toast")).to_have_text("Escalation acknowledged.")
    seen = board_stack.server.login("priya").get(f"/escalations/{escalation_id}/").json()
    assert seen["status"] == "acknowledged"
    assert seen["acknowledgement_note"] == "Seen on the control-room board"


def test_an_attendance_change_through_the_api_is_on_the_board_within_2_seconds(
    browser, page, board_stack, page_errors
):
    incident = night_incident(board_stack)
    sign_in(page, board_stack, "priya")
    listing = new_page(browser, page_errors)
    sign_in(listing, board_stack, "priya")
    expect(listing.locator("#live")).to_have_text("Live")
    open_incident(page, board_stack, incident)
    police = attendance_row(page, "Northshire Police")
    expect(police).to_contain_text("Not answered")

    hale = board_stack.server.login("hale")
    answered = hale.post(f"/incidents/{incident['id']}/attendance/", {"status": "attending", "eta": soon(12)})
    assert answered.status_code == 200, answered.text
    started = time.monotonic()
    expect(police).to_contain_text("Coming", timeout=2000)
    expect(police).to_contain_text("ETA in 1")  # 11 or 12 minutes, counting down
    expect(listing.locator("#incident-rows tr", has_text=LARCH)).to_contain_text(
        "Northshire Police: Coming", timeout=max(0.0, 2000 - (time.monotonic() - started) * 1000)
    )
    expect(page.locator("#timeline li", has_text="Northshire Police: Coming")).to_have_count(1)
    listing.context.close()


def test_a_dropped_connection_comes_back_with_every_event_it_missed(page, board_stack):
    incident = night_incident(board_stack)
    sockets = {"refuse": False, "open": []}

    def through(ws):  # the board's incident socket, passed through a link the test can cut
        if sockets["refuse"]:
            ws.close(code=1012, reason="network down")
            return
        server = ws.connect_to_server()
        sockets["open"].append((ws, server))

    page.route_web_socket(re.compile(r"/ws/v1/incidents/"), through)
    sign_in(page, board_stack, "priya")
    open_incident(page, board_stack, incident)
    before = int(page.locator("#timeline li").first.get_attribute("data-seq"))

    sockets["refuse"] = True
    for ws, server in sockets["open"]:
        ws.close(code=1012, reason="network down")
        server.close()
    expect(page.locator("#live")).to_contain_text("reconnecting")

    nina = board_stack.server.login("nina")  # the paramedic: on the way, then there
    for status in ("en_route", "on_scene"):
        body = {"status": status, "eta": soon(3)} if status == "en_route" else {"status": status}
        answered = nina.post(f"/incidents/{incident['id']}/attendance/", body)
        assert answered.status_code == 200, answered.text
    expect(page.locator("#timeline li").first).to_have_attribute("data-seq", str(before))  # nothing yet

    sockets["refuse"] = False
    expect(page.locator("#live")).to_have_text("Live", timeout=15000)
    ambulance = attendance_row(page, "Northshire Ambulance Service")
    expect(ambulance).to_contain_text("On scene")
    expect(page.locator("#timeline li", has_text="Northshire Ambulance Service: On scene")).to_have_count(1)
    expect(page.locator("#timeline li", has_text="Northshire Ambulance Service: On the way")).to_have_count(1)
    seqs = [
        int(s) for s in page.locator("#timeline li").evaluate_all("items => items.map(i => i.dataset.seq)")
    ]
    assert seqs == sorted(seqs, reverse=True)
    assert seqs == list(range(seqs[0], 0, -1)), "a gap or a duplicate in the timeline"
    assert seqs[0] >= before + 2


def test_the_control_room_appoints_the_decision_maker_and_the_api_agrees(page, board_stack):
    incident = night_incident(board_stack)
    sign_in(page, board_stack, "priya")
    open_incident(page, board_stack, incident)
    form = page.locator("#appoint-form")
    expect(form).to_be_visible()
    option = form.locator("#appoint-user option", has_text="Hale").first
    page.get_by_label("Appoint the decision maker").select_option(option.get_attribute("value"))
    page.get_by_label("Why this person").fill("Sergeant on scene, police protection powers")
    page.get_by_role("button", name="Appoint").click()
    expect(page.locator("#decision-maker")).to_contain_text("Not yet accepted")
    expect(page.locator("#decision-maker")).to_contain_text("Hale")

    hale = board_stack.server.login("hale")
    snapshot = hale.get(f"/incidents/{incident['id']}/").json()
    assert snapshot["decision_maker"]["user"]["username"] == "hale"
    assert snapshot["decision_maker"]["reason"] == "Sergeant on scene, police protection powers"
    assert snapshot["decision_maker"]["accepted"] is False
    accepted = hale.post(f"/incidents/{incident['id']}/decision-maker/accept/")
    assert accepted.status_code == 200, accepted.text
    expect(page.locator("#decision-maker")).to_contain_text("Accepted")


def test_a_user_outside_need_to_know_sees_nothing_of_the_family(page, board_stack, page_errors):
    page_errors.expected.append("404")  # the API's answer for the incident, logged by the browser
    incident = night_incident(board_stack)
    sign_in(page, board_stack, "grace")  # an out-of-hours GP: her practice is on no incident tonight
    expect(page.locator("#no-incidents")).to_be_visible()
    expect(page.locator("#incident-rows tr")).to_have_count(0)
    assert "Vale" not in page.content()
    assert "Larch" not in page.content()
    page.goto(f"{board_stack.server.http}/board/incidents/{incident['id']}/")
    expect(page.locator("#not-found")).to_have_text("There is no incident here that you may see.")
    expect(page.locator("#incident")).to_be_hidden()
    assert "Vale" not in page.content()
    assert "Larch" not in page.content()
    assert_accessible(page)


def test_keyboard_only_and_a_tablet(browser, page_errors, board_stack):
    tablet = new_page(browser, page_errors, viewport={"width": 768, "height": 1024}, has_touch=True)
    tablet.goto(f"{board_stack.server.http}/board/")
    expect(tablet.get_by_label("Username")).to_be_focused()  # the sign-in starts where one types
    tablet.keyboard.type("priya")
    tablet.keyboard.press("Tab")
    tablet.keyboard.type(board_stack.password)
    tablet.keyboard.press("Enter")
    tablet.wait_for_url(f"{board_stack.server.http}/board/", timeout=20_000)
    link = tablet.get_by_role("link", name=LARCH)
    expect(link).to_be_visible()
    for _ in range(12):
        tablet.keyboard.press("Tab")
        if tablet.evaluate("() => document.activeElement.textContent") == LARCH:
            break
    tablet.keyboard.press("Enter")
    expect(tablet.locator("#headline li").first).to_be_visible()
    assert tablet.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(tablet)
    tablet.context.close()
