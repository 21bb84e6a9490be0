"""The admin dashboard: live wallboard, call log, reports with plots, admin actions,
schedule-change campaigns.

Every route here needs an admin login (the wallboard, supervision and the agent report:
an admin or a supervisor); every POST a CSRF token. Each page group is a
class of its own (wallboard.py, calllog_pages.py, report_pages.py, actions.py); the
dashboard is their routes together.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.routing import Route

from ivr.ami.client import AmiClient
from ivr.config import Config
from ivr.web.actions import AdminActions
from ivr.web.agent_report_pages import AgentReportPages
from ivr.web.calllog_pages import CallLogPages
from ivr.web.campaign_pages import CampaignPages
from ivr.web.node_pages import NodePages
from ivr.web.pages import Pages
from ivr.web.prompt_pages import PromptPages
from ivr.web.report_pages import ReportPages
from ivr.web.supervision import AmiSession, Supervision
from ivr.web.wallboard import Wallboard


class Dashboard:
    def __init__(
        self,
        config: Config,
        ami: Callable[[], AmiClient | None],
        pages: Pages,
        supervise_ami: AmiSession | None = None,
    ) -> None:
        self.parts = (
            Wallboard(config, ami, pages),
            Supervision(config, pages, ami, supervise_ami),
            CallLogPages(config, pages),
            ReportPages(config, pages),
            AgentReportPages(config, pages),
            AdminActions(config, pages),
            PromptPages(config, pages),
            CampaignPages(config, pages),
            NodePages(config, pages),
        )

    def routes(self) -> list[Route]:
        return [route for part in self.parts for route in part.routes()]
