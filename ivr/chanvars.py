"""Channel-variable names shared with dialplan/ (a test checks both sides agree).

The controller only sets these; the dialplan decides what happens next with them.
"""

from __future__ import annotations

# Set by the dialplan before AGI(): which call flow the controller runs.
ROUTE = "HAJJ_ROUTE"
# The routes the dialplan names in the AGI URL (agi://host:port/<route>); their flows and
# policy are in ivr/flows/routes.py.
ROUTE_HOTLINE = "hotline"
ROUTE_ECHO = "echo"
ROUTE_DOCTOR = "doctor"
ROUTE_CALLBACK = "callback"
ROUTE_RECORD = "record"  # recording prompts by phone: *79 from a staff phone only
ROUTE_CAMPAIGN = "campaign"  # a schedule-change call the pilgrim answered
ROUTE_RATING = "rating"  # an agent hung up first: the caller rates the call 1-5
# Set by the controller (ivr.outcomes.Result): "done" when the caller was served and may be
# hung up; anything else (or nothing, when the controller died) sends the call to a person.
RESULT = "HAJJ_RESULT"
# Set by the controller (or the dialplan) with why the call goes to a person.
REASON = "HAJJ_REASON"

# Set by the controller for the agent: the porsi keyed, whether its date of birth was
# verified ("yes"/"no"), and the topics asked (space separated).
PORSI = "HAJJ_PORSI"
VERIFIED = "HAJJ_VERIFIED"
TOPICS = "HAJJ_TOPICS"

# Set by the controller: the complaint ticket made or asked about (for the screen pop).
TICKET = "HAJJ_TICKET"

# How far the caller ID may be trusted (ivr/asterisk/trunk.py): "carrier" when the
# carrier asserted it (P-Asserted-Identity on the trunk), "none" for a SIP From nobody
# vouches for (the anonymous endpoint beside a trunk, a trunk call without PAI); unset
# (Local channels, registered phones) keeps the rule before trunks. A callback offers
# the caller ID back unless it is "none".
CALLER_TRUST = "HAJJ_CALLER_TRUST"
TRUST_CARRIER = "carrier"
TRUST_NONE = "none"

# On an agent node: the IVR node's id of a handed-over call (its UNIQUEID, the call log's
# id there), from the X-Hajj-Ivr-Call header; the screen pop reads the menu path by it.
IVR_CALL = "HAJJ_IVR_CALL"

# Set by the dialplan when a call first queues (unix time): how long the caller has waited.
WAIT_FROM = "HAJJ_WAIT_FROM"
# Set by the dialplan before the callback offer: "nobody" (no agent logged in) or
# "waited" (the caller waited agents.callback_after seconds).
OFFER = "HAJJ_OFFER"
OFFER_NOBODY = "nobody"
OFFER_WAITED = "waited"
# Which tier's queue the call waits in (hajj-tier1..3); a transfer up a tier changes it.
QUEUE = "HAJJ_QUEUE"
FIRST_QUEUE = "hajj-tier1"  # the dialplan's HAJJ_FIRST_QUEUE

# Set by the dialplan when a call first queues: the call's id (its uniqueid), which the
# agent legs' recordings are filed under; a transfer up a tier keeps it.
CALL = "HAJJ_CALL"
# Set by [hajj-record] on an agent's leg: its recording's file name (ivr.queue.recordings).
RECORDING = "HAJJ_RECORDING"
# When the agent leg's recording began (EPOCH): its length when the leg hangs up.
RECORDING_FROM = "HAJJ_RECORDING_FROM"
RECORDINGS = "HAJJ_RECORDINGS"  # global: the folder (config.call_recordings_dir)

# Set on an agent's phone channel (pjsip_agents.conf set_var): who it is, which tier.
AGENT_NAME = "HAJJ_AGENT_NAME"
AGENT_TIER = "HAJJ_AGENT_TIER"
# Set by app_queue on the caller's channel when a member answers (queues.conf
# setinterfacevar): the member's name as its AMI events give it (queue_calls.agent). The
# dialplan clears it before each Queue(), so after one it says who answered that stay.
MEMBER_NAME = "MEMBERNAME"

# A supervision leg (ivr/agents/supervise.py): the agent's exact channel ChanSpy attaches to.
SPY_TARGET = "HAJJ_SPY_TARGET"

# A callback in progress (set on the Local channel the dispatcher originates).
CALLBACK_ID = "HAJJ_CALLBACK_ID"
CALLBACK_DIAL = "HAJJ_CALLBACK_DIAL"
# The number itself: the dialplan dials only one that matches [hajj-callback-allowed].
CALLBACK_NUMBER = "HAJJ_CALLBACK_NUMBER"
CALLBACK_QUEUE = "HAJJ_CALLBACK_QUEUE"
CALLBACK_AGENT_WAIT = "HAJJ_CALLBACK_AGENT_WAIT"

# A schedule-change call (set on the Local channel the campaign dialer originates): the
# campaign call's id (also HAJJ_CAMPAIGN_CALL, a handover field), where and how to dial.
CAMPAIGN_CALL = "HAJJ_CAMPAIGN_CALL"
CAMPAIGN_NUMBER = "HAJJ_CAMPAIGN_NUMBER"
CAMPAIGN_DIAL = "HAJJ_CAMPAIGN_DIAL"
CAMPAIGN_RING = "HAJJ_CAMPAIGN_RING"
CAMPAIGN_AMD = "HAJJ_CAMPAIGN_AMD"  # "yes": AMD() runs on answer

# The caller half of a test call (`hajj-ivr call`): what it keys and how.
TEST_DTMF = "HAJJ_TEST_DTMF"
TEST_DELAY = "HAJJ_TEST_DELAY"
TEST_GAP = "HAJJ_TEST_GAP"
TEST_DURATION = "HAJJ_TEST_DURATION"
TEST_HOLD = "HAJJ_TEST_HOLD"
TEST_AUDIO = "HAJJ_TEST_AUDIO"
TEST_DTMF_AFTER = "HAJJ_TEST_DTMF_AFTER"  # keys after the voice (a review menu's answer)

ALL = (
    ROUTE,
    CALLER_TRUST,
    RESULT,
    REASON,
    PORSI,
    VERIFIED,
    TOPICS,
    TICKET,
    WAIT_FROM,
    OFFER,
    QUEUE,
    CALL,
    RECORDING,
    RECORDING_FROM,
    RECORDINGS,
    AGENT_NAME,
    AGENT_TIER,
    MEMBER_NAME,
    SPY_TARGET,
    CALLBACK_ID,
    CALLBACK_DIAL,
    CALLBACK_NUMBER,
    CALLBACK_QUEUE,
    CALLBACK_AGENT_WAIT,
    CAMPAIGN_CALL,
    CAMPAIGN_NUMBER,
    CAMPAIGN_DIAL,
    CAMPAIGN_RING,
    CAMPAIGN_AMD,
    TEST_DTMF,
    TEST_DELAY,
    TEST_GAP,
    TEST_DURATION,
    TEST_HOLD,
    TEST_AUDIO,
    TEST_DTMF_AFTER,
)
