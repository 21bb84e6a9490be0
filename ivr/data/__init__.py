"""The SISKOHAT data mirror: import an export (importer), look pilgrims up (mirror).

The import format is described in docs/data-format.md; sample exports come from
:mod:`ivr.data.sample`.
"""

from ivr.data.importer import import_export
from ivr.data.mirror import Jemaah, Kloter, Mirror, MirrorInfo
from ivr.data.report import BadRow, ImportRefused, ImportReport

__all__ = [
    "BadRow",
    "ImportRefused",
    "ImportReport",
    "Jemaah",
    "Kloter",
    "Mirror",
    "MirrorInfo",
    "import_export",
]
