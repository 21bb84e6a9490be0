"""Channel-variable names shared with dialplan/ (a test checks both sides agree).

The controller only sets these; the dialplan decides what happens next with them.
"""

from __future__ import annotations

# Set by the dialplan before AGI(): which call flow the controller runs.
ROUTE = "HAJJ_ROUTE"
# Set by the controller: "done" when the caller was served and may be hung up;
# anything else (or nothing, when the controller died) sends the call to a person.
RESULT = "HAJJ_RESULT"
# Set by the controller (or the dialplan) with why the call goes to a person.
REASON = "HAJJ_REASON"

# Set by the controller for the agent: the porsi keyed, whether its date of birth was
# verified ("yes"/"no"), and the topics asked (space separated).
PORSI = "HAJJ_PORSI"
VERIFIED = "HAJJ_VERIFIED"
TOPICS = "HAJJ_TOPICS"

RESULT_DONE = "done"
RESULT_AGENT = "agent"
RESULT_FAILED = "failed"

# The caller half of a test call (`hajj-ivr call`): what it keys and how.
TEST_DTMF = "HAJJ_TEST_DTMF"
TEST_DELAY = "HAJJ_TEST_DELAY"
TEST_GAP = "HAJJ_TEST_GAP"
TEST_DURATION = "HAJJ_TEST_DURATION"
TEST_HOLD = "HAJJ_TEST_HOLD"

ALL = (
    ROUTE,
    RESULT,
    REASON,
    PORSI,
    VERIFIED,
    TOPICS,
    TEST_DTMF,
    TEST_DELAY,
    TEST_GAP,
    TEST_DURATION,
    TEST_HOLD,
)
