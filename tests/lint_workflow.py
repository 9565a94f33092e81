"""`make lint`'s run of Snakemake's linter: every lint fails it except the advice to give each
rule a conda environment or container, because rnnlab is deployed as one virtual environment
(make installs it) whose ``rnnlab`` every rule calls. Prints the lints that count; exits 1 when
there is any."""

import contextlib
import io
import json
import sys
from pathlib import Path

from snakemake.api import SnakemakeApi
from snakemake.settings.types import OutputSettings, ResourceSettings

DEPLOYED_AS_A_VENV = "Specify a conda environment or container for each rule."


def lints(snakefile: Path) -> list[str]:
    """The linter's findings for ``snakefile`` as 'where: title' lines, less the deployment
    advice."""
    text = io.StringIO()
    with SnakemakeApi(OutputSettings()) as api:
        workflow = api.workflow(resource_settings=ResourceSettings(cores=1), snakefile=snakefile)
        with contextlib.redirect_stdout(text):
            workflow.lint(json=True)
    found = json.loads(text.getvalue())
    return [f"{where['for'].get('rule') or where['for'].get('snakefile')}: {lint['title']}"
            for where in found["snakefiles"] + found["rules"] for lint in where["lints"]
            if lint["title"] != DEPLOYED_AS_A_VENV]


if __name__ == "__main__":
    remaining = lints(Path("Snakefile"))
    print("\n".join(remaining) or "snakemake --lint: no lints (besides the deployment advice)")
    sys.exit(1 if remaining else 0)
