"""Drawing shared by the Hardcore plots (each folder's ``plot.py``): one run's
evaluation curve and training return, and the two panels' decoration (expert lines, hand-over span, labels)."""

import json
from collections.abc import Iterable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROLLOUT = 16 * 512  # env steps per rollout of the Hardcore entry
# the entry's reported seeds read to its 9M budget or beyond (seeds 1 and 2 to 10M, the others to 9M)
ENTRY_SEEDS_9M = (1, 2, 3, 4, 5, 6, 9, 10)
# PPO (the entry's hyperparameters and width) read to the 9M budget, each from its 2M folder and two continuations
PPO_SEEDS_9M = (1, 2, 3, 4, 5, 6, 9, 10)


def spell_seeds(seeds: Iterable[int]) -> str:
    """Seeds as prose, runs of consecutive ones joined: (1, 2, 3, 4, 9, 10) -> "1-4, 9 and 10"."""
    runs: list[list[int]] = []
    for seed in sorted(seeds):
        if runs and seed == runs[-1][-1] + 1:
            runs[-1].append(seed)
        else:
            runs.append([seed])
    words = [f"{run[0]}-{run[-1]}" if len(run) > 2 else ", ".join(map(str, run)) for run in runs]
    text = ", ".join(words)
    head, sep, last = text.rpartition(", ")
    return f"{head} and {last}" if sep else text


def entry_folders(seed: int) -> list[Path]:
    """
    The entry's run of one reported seed, its folders in step order: the 2M folder and its continuations
    (``hardcore_seedN``, ``_5M``, ``_9M``; seeds 1 and 2 ran to 10M before the budget was set to 9M:
    ``hardcore_256x256_bc_batch64``, ``_5M``, ``_10M``).
    """
    bench = Path(__file__).parent
    if seed in (1, 2):
        return [bench / f"hardcore_256x256_bc_batch64{part}" for part in ("", "_5M", "_10M")]
    return [bench / f"hardcore_seed{seed}{part}" for part in ("", "_5M", "_9M")]


def ppo_folders(seed: int) -> list[Path]:
    """
    PPO's run of one seed to 9M, its folders in step order: the 2M folder it ran in beside the entry, then
    ``hardcore_ppo_seedN_5M`` and ``_9M`` (seed 1's 5M part is ``hardcore_256x256_5M``, where it ran beside the entry;
    seed 4's 2M part is ``hardcore_ppo_seed4``, run after the entry's).
    """
    bench = Path(__file__).parent
    first = bench / {1: "hardcore_256x256", 2: "hardcore_256x256", 4: "hardcore_ppo_seed4"}.get(seed, f"hardcore_seed{seed}")
    middle = bench / ("hardcore_256x256_5M" if seed == 1 else f"hardcore_ppo_seed{seed}_5M")
    return [first, middle, bench / f"hardcore_ppo_seed{seed}_9M"]


def mark_handover(ax, alpha: float = 0.12) -> None:
    """The hand-over (rollouts 60-180) as a shaded span, in millions of env steps."""
    ax.axvspan(60 * ROLLOUT / 1e6, 180 * ROLLOUT / 1e6, color="grey", alpha=alpha, label="hand-over (rollouts 60-180)")


def panels():
    """A figure with the evaluation panel (left) and the training-return panel (right)."""
    return plt.subplots(1, 2, figsize=(13, 5.5))


def read_curve(folder: Path, name: str) -> dict[int, float]:
    """compare.py's evaluation curve of one run (``runs/NAME.json``): env steps -> mean return, in step order."""
    return {int(steps): mean for steps, mean, _ in json.loads((folder / "runs" / f"{name}.json").read_text())["curve"]}


def read_parts(folders: list[Path], name: str) -> tuple[list[tuple[int, float]], pd.DataFrame]:
    """
    One run read whole from its folder and its continuations (``folders`` in step order, each written by compare.py):
    its evaluation points (steps, mean return; a continuation's first point repeats the saved model's, so it is
    dropped) and SB3's training log rows of every part, concatenated.
    """
    points, logs = [], []
    for i, folder in enumerate(folders):
        run = folder / "runs" / f"{name}.json"
        if not run.exists():
            raise SystemExit(f"{run} is missing: run the command in {folder}/README.md first")
        curve = json.loads(run.read_text())["curve"]
        points += [(int(steps), mean) for steps, mean, _ in curve[(1 if i else 0) :]]
        logs.append(pd.read_csv(folder / "logs" / name / "progress.csv"))
    return points, pd.concat(logs)


def plot_run(ax_eval, ax_train, folder: Path, name: str, style: str, colour: str, label: str) -> None:
    """compare.py's curve (``runs/NAME.json``) and SB3's training return (``logs/NAME/progress.csv``) of one run."""
    curve = read_curve(folder, name)
    ax_eval.plot([s / 1e6 for s in curve], list(curve.values()), style, color=colour, label=label)
    data = pd.read_csv(folder / "logs" / name / "progress.csv")
    smooth = data["rollout/ep_rew_mean"].rolling(5, min_periods=1).mean()
    ax_train.plot(data["time/total_timesteps"] / 1e6, smooth, style, color=colour, label=label)


def finish(fig, ax_eval, ax_train, expert: dict, title: str, out: Path, ncol: int, bottom: float, marks=()) -> None:
    """The expert's lines, the hand-over span, ``marks`` (rollout, colour, label) as vertical lines, labels, legend."""
    ax_eval.axhline(expert["mean"], color="k", linestyle=":", label=f"expert on these 10 episodes ({expert['mean']:.1f})")
    final = expert["final"]["mean"]
    ax_eval.axhline(final, color="grey", linestyle=":", label=f"expert on 50 episodes ({final:.1f})")
    for ax, ylabel in ((ax_eval, "return, 10 deterministic episodes"), (ax_train, "training episode return (5-update mean)")):
        mark_handover(ax)
        for rollout, colour, label in marks:
            ax.axvline(rollout * ROLLOUT / 1e6, color=colour, alpha=0.5, label=label)
        ax.set_xlabel("env steps (millions)")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    handles, labels = ax_eval.get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, loc="lower center", ncol=ncol)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, bottom, 1, 1))
    fig.savefig(out, dpi=100)


def over_budget(seeds: dict[int, str], title: str, out: Path) -> None:
    """
    Reported seeds of the entry over its whole budget (9M), each drawn as one run from its 2M folder and its
    continuations (``hardcore_seedN``, ``_5M``, ``_9M``; ``seeds``: seed -> colour), beside seeds 1 and 2 to 10M
    (``hardcore_256x256_bc_batch64*``), with the budget's end and the cloning anchor's end marked.
    """
    runs = [(seed, colour, "-", entry_folders(seed)) for seed, colour in seeds.items()]
    runs += [(seed, colour, ":", entry_folders(seed)) for seed, colour in ((1, "tab:blue"), (2, "tab:purple"))]
    fig, (ax_eval, ax_train) = panels()
    for seed, colour, style, folders in runs:
        for i, folder in enumerate(folders):  # one legend entry per seed ("_..." labels stay out of it)
            label = f"{'_' if i else ''}seed {seed}"
            plot_run(ax_eval, ax_train, folder, f"ppo_expert_seed{seed}", style, colour, label)
    marks = [
        (round(9e6 / ROLLOUT), "black", "the entry's budget (9M)"),
        (1200, "tab:red", "cloning anchor at 0 (rollout 1200)"),
    ]
    expert = json.loads((out.parent / "expert.json").read_text())
    finish(fig, ax_eval, ax_train, expert, title, out, ncol=4, bottom=0.15, marks=marks)


def against_entry(
    runs: dict[str, Path | dict[int, Path]], seeds: tuple[int, ...], expert: float, start: int, title: str, out: Path
) -> None:
    """
    Runs continued from the same saved models, on the same evaluation episodes: one panel per seed with each run's
    curve (``runs``: label -> folder of compare.py, or seed -> folder where each seed has its own), and a markdown
    table (printed) of the mean of the points all the runs have after ``start`` env steps.
    """

    def folder_of(folder: Path | dict[int, Path], seed: int) -> Path:
        return folder[seed] if isinstance(folder, dict) else folder

    curves = {
        label: {seed: read_curve(folder_of(folder, seed), f"ppo_expert_seed{seed}") for seed in seeds}
        for label, folder in runs.items()
    }
    fig, axes = plt.subplots(1, len(seeds), figsize=(12, 4.5), sharey=True)
    print("| run | " + " | ".join(f"seed {seed}: mean of the points after {start / 1e6:g}M" for seed in seeds) + " |")
    print("|---|" + "---|" * len(seeds))
    for label, by_seed in curves.items():
        cells = []
        for ax, seed in zip(axes, seeds, strict=True):
            common = sorted(s for s in by_seed[seed] if s > start and all(s in c[seed] for c in curves.values()))
            mean = np.mean([by_seed[seed][s] for s in common])
            cells.append(f"{mean:.1f} ({len(common)} points to {common[-1] / 1e6:.2f}M)")
            steps = sorted(by_seed[seed])
            ax.plot(np.array(steps) / 1e6, [by_seed[seed][s] for s in steps], marker=".", label=label)
        print(f"| {label} | " + " | ".join(cells) + " |")
    for ax, seed in zip(axes, seeds, strict=True):
        ax.axhline(expert, color="black", linestyle="--", label=f"expert ({expert:.1f} on these episodes)")
        ax.set_title(f"training seed {seed}")
        ax.set_xlabel("env steps (millions)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("evaluation return (10 episodes per point)")
    axes[0].legend(fontsize=7, loc="lower left")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out, dpi=100)


def training_panels(
    runs: dict[str, Path],
    columns: dict[str, str],
    title: str,
    out: Path,
    log_columns: tuple[str, ...] = (),
    window: int = 5,
    handover: bool = True,
    name: str = "*",
) -> None:
    """SB3's logged ``columns`` (log key -> axis label) of runs side by side, one panel each (``window``-update means,
    the columns in ``log_columns`` on a log scale), the hand-over span marked where ``handover`` (runs resumed after it
    leave it out); ``runs`` maps a label to a run folder written by ``compare.py`` (its ``logs/NAME/progress.csv``,
    ``name`` such as ``ppo_expert_seed1`` in a folder of several runs; by default the folder's first)."""
    fig, axes = plt.subplots(1, len(columns), figsize=(4 * len(columns) + 4, 4.5))
    for label, folder in runs.items():
        data = pd.read_csv(next((folder / "logs").glob(f"{name}/progress.csv")))
        for ax, column in zip(axes, columns, strict=True):
            ax.plot(data["time/total_timesteps"] / 1e6, data[column].rolling(window, min_periods=1).mean(), label=label)
    for ax, (column, ylabel) in zip(axes, columns.items(), strict=True):
        if handover:
            mark_handover(ax, alpha=0.15)
        ax.set_xlabel("env steps (millions)")
        ax.set_ylabel(f"{ylabel} ({window}-update mean)")
        ax.grid(alpha=0.3)
        if column in log_columns:
            ax.set_yscale("log")
    axes[0].legend(fontsize=7, loc="lower right")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out, dpi=100)


#: training return, cloning fit and noise: what the cloning-anchor probes are read by
CLONING_COLUMNS = {
    "rollout/ep_rew_mean": "training episode return",
    "train/bc_loss": "cloning loss in PPO's minibatches",
    "train/std": "the policy's std (train/std)",
}

#: training return and episode length: how the probes of the stuck walker (its falls and stalls) are read
LENGTH_COLUMNS = {
    "rollout/ep_rew_mean": "training return, the env's own",
    "rollout/ep_len_mean": "episode length (2000: time limit)",
}
