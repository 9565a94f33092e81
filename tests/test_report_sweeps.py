"""Tests of rnnlab.report.sweeps: the members and figure of a sweep, and bad --sweeps."""

import pytest
from helpers import rnnlab
from report_inputs import fake_metrics, write_models

from rnnlab.report import stats, sweeps


def test_sweep_figure_per_swept_key(tmp_path, no_plots):
    """A sweep of hidden and lr, replicated over seeds, gives sweep-<name>.png with a row of
    panels per swept key, and the members of the sweep are its base and generated names."""
    base = fake_metrics("rnn_scratch", hidden=512, lr=1)
    runs = [base]
    for hidden in (64, 128):
        for lr in (1, 2):
            for seed in (1, 2):
                runs.append(fake_metrics(f"rnn_scratch--hidden-{hidden}--lr-{lr}--seed-{seed}",
                                         cell="rnn", impl="scratch", hidden=hidden, lr=lr,
                                         seed=seed, end=1 + hidden / 100 + seed / 10))
    spec = {"base": ["rnn_scratch"], "grid": {"hidden": [64, 128], "lr": [1, 2],
                                              "seed": [1, 2]}}
    members = sweeps.sweep_members(spec, "rnn_scratch", [*runs, fake_metrics("rnn_deep")])
    assert [m["variant"] for m in members] == [m["variant"] for m in runs]
    fig = sweeps.sweep_figure("grid", spec, runs, stats.replicate_groups(runs))
    assert len(fig.axes) == 2 * 3  # hidden and lr, three results each
    hidden_ax = fig.axes[1]
    assert hidden_ax.get_xlabel() == "hidden" and hidden_ax.get_ylabel().startswith("final")
    sweeps.pyplot().close(fig)


@pytest.mark.parametrize("specs, message", [
    ("[1]", "expected a mapping"),
    ('{"s": {"base": [], "grid": {"seed": [1]}}}', "sweep 's' needs base"),
    ('{"s": {"base": ["a"], "grid": {"seed": []}}}', "sweep 's' needs grid"),
    ('{"../x": {"base": ["a"], "grid": {"seed": [1]}}}', "sweep name '../x'"),
    ("{not json", "--sweeps is not JSON"),
])
def test_bad_sweeps_give_one_line(specs, message, tmp_path):
    """`rnnlab report --sweeps` with a malformed mapping exits 1 with one line naming it."""
    write_models(tmp_path / "models", fake_metrics("gru_deep"))
    result = rnnlab("report", "--models", tmp_path / "models", "--out", tmp_path / "report",
                    "--sweeps", specs)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert message in line
