"""The one exception tree of hajj-ivr.

Every error we raise derives from :class:`HajjIvrError`. Protocol errors are split in two:
``*UsageError`` means *we* built something the peer rejected, ``*PeerError`` means the
*peer* sent something that breaks the protocol. A caller hanging up is not an error of
either side; it is :class:`CallerHangup`, handled as normal flow.
"""

from __future__ import annotations


class HajjIvrError(Exception):
    """Root of every hajj-ivr error. The CLI turns these into exit code 1."""


class ConfigError(HajjIvrError):
    """A configuration key is missing or has a bad value (the message names both)."""


class SetupError(HajjIvrError):
    """The machine lacks something we need (the message says what to install)."""


class AsteriskError(HajjIvrError):
    """Asterisk could not be started, stopped or reached."""


# --- AGI -------------------------------------------------------------------------------


class AgiError(HajjIvrError):
    """Base of FastAGI errors."""


class CallerHangup(AgiError):
    """The channel hung up (HANGUP line, result=-1 on a hung-up channel, or EOF)."""


class AgiPeerError(AgiError):
    """Asterisk sent bytes that are not valid AGI (theirs)."""


class AgiUsageError(AgiError):
    """Asterisk rejected our command: 510 invalid command, 511 dead channel, 520 usage."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"AGI {code}: {message}")
        self.code = code
        self.message = message


class AgiCommandFailed(AgiError):
    """The command ran and returned result=-1 (failure, usually the channel is gone)."""


class AgiTimeout(AgiError):
    """Asterisk did not answer a command (or send the header) in time."""


# --- AMI -------------------------------------------------------------------------------


class AmiError(HajjIvrError):
    """Base of AMI errors."""


class AmiActionError(AmiError):
    """Asterisk answered an action with ``Response: Error``."""


class AmiTimeout(AmiError):
    """Asterisk did not answer an action in time."""


class AmiDisconnected(AmiError):
    """The AMI connection is down; the action was not sent (never queued for later)."""


# --- stores ----------------------------------------------------------------------------


class SharedStoreError(HajjIvrError):
    """PostgreSQL ([database] url) could not be reached or refused a statement. The message
    names the error class and SQLSTATE only: PostgreSQL's own text may quote a row."""


# --- data ------------------------------------------------------------------------------


class DataError(HajjIvrError):
    """The data mirror is missing, unreadable or an import was refused."""


# --- web ---------------------------------------------------------------------------------


class UploadError(HajjIvrError):
    """An upload was refused (a malformed form, too many parts); nothing was kept."""


class UploadTooLarge(UploadError):
    """An upload is over its cap (HTTP 413); it was not read to its end, nothing was kept."""


class BackupError(HajjIvrError):
    """A backup that cannot be taken, or an archive that cannot be restored (damaged, from a
    newer release, or the hotline still running); the live state is left as it was."""
