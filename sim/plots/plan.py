"""The capacity planner's frontier: every plan evaluated, cost against the
probability that all targets are met (``salesim plan``, ``frontier.png``,
and the plan section of ``salesim report``)."""

from __future__ import annotations

from sim.plots.canvas import figure, format_axis_for, short_usd


def frontier_figure(r):
    """Every plan evaluated (cost vs P, with its interval), the frontier, P and the recommendation."""
    fig, axes = figure(1, 1, (8, 5))
    ax = axes[0][0]
    c = r.candidates
    err = [c["probability"] - c["ci_low"], c["ci_high"] - c["probability"]]
    ax.errorbar(c["objective"], c["probability"], yerr=err, fmt="o", color="0.6", ms=4, lw=0.8,
                label="plans evaluated (95% CI)")
    f = r.frontier
    ax.step(f["objective"], f["probability"], where="post", color="C0", lw=1.8, label="frontier")
    ax.axhline(r.probability, color="C3", ls="--", lw=1, label=f"required P = {r.probability:.0%}")
    if r.recommended is not None:
        ax.plot([r.recommended["objective"]], [r.recommended["probability"]], "*", color="C2", ms=16,
                label="recommended")
    ax.set_xlabel(f"mean {r.objective}")
    ax.set_ylabel("P(all targets met)")
    ax.set_ylim(-0.02, 1.02)
    format_axis_for(ax, r.objective, "x")
    ax.set_title(f"Cost vs probability: {' and '.join(r.targets)}")
    ax.legend(loc="lower right", fontsize=8)
    rec = r.recommended
    fig.set_label(f"{len(c)} plans evaluated, mean {r.objective} against the probability that all targets "
                  f"({', '.join(r.targets)}) are met, with the frontier and the required P of {r.probability:.0%}"
                  + (f"; the recommended plan costs {short_usd(rec['objective'])} with P {rec['probability']:.0%}."
                     if rec is not None and r.objective.endswith("_usd") else "."))
    return fig
