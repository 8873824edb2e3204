"""Message templates: rendered in a sandbox, checked for the disclosures the rules require.

A deployment's `templates/` folder holds one folder per message kind (a `kind.toml` and a
variant per channel and language) and `disclosures/`, the legal sentences templates print
with `disclosure("name")`. `TemplateSet` reads the folder, renders a variant into the
message its channel sends (`Rendered`), reports which disclosures the rendered text carries,
and checks every variant without rendering it (`problems`).

Errors: `TemplateError` (a `ValueError`) stops one render or a load and names the file and
line when known; `TemplateProblem` is one finding of the whole-folder check, never raised.
"""

from contactengine.templates.catalog import KindInfo
from contactengine.templates.compose import Rendered
from contactengine.templates.errors import TemplateError, TemplateProblem
from contactengine.templates.sms import sms_segments
from contactengine.templates.templateset import TemplateSet

__all__ = [
    "KindInfo",
    "Rendered",
    "TemplateError",
    "TemplateProblem",
    "TemplateSet",
    "sms_segments",
]
