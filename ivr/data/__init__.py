"""The SISKOHAT data mirror: import an export (importer), look pilgrims up (mirror).

The import format is described in docs/data-format.md; sample exports come from
:mod:`ivr.data.sample`. Import the modules themselves (``ivr.data.mirror``, ...).
"""
