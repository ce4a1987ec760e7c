"""Relevance: ``veille relevance`` (the shipped model), ``veille relevance train`` and ``veille feedback``."""

from __future__ import annotations

from pathlib import Path

import click

from alerts.feedback import feedback_samples, give_feedback
from alerts.relevance import Model, load_model, model_path
from cli.app import State, UserError, cli, pass_state
from storage.job_edits import UnknownOffer


@cli.group(invoke_without_command=True)
@click.pass_context
def relevance(ctx):
    """The relevance model: how much an offer is a transformation role (0 to 1), and why.

    \b
    veille relevance                      the shipped model: version, data, default threshold
    veille relevance train                train it again from the labelled files of the repository
    veille offers --why --min-relevance 0.5    offers with their score and its reasons
    """
    if ctx.invoked_subcommand:
        return
    model = load_model()
    trained = model.data["trained_on"]
    from_feedback = f", {trained['feedback']} from feedback" if trained.get("feedback") else ""
    click.echo(f"model {model.version} ({model_path(model.name)})")
    click.echo(
        f"trained on {trained['items']} labelled items ({trained['relevant']} relevant, {trained['borderline']} "
        f"borderline{from_feedback}); data sha256 {model.data_sha256}"
    )
    click.echo(f"default min_relevance: {model.threshold:.2f}")
    click.echo(f"terms: {', '.join(f'{name} {len(terms)}' for name, terms in model.terms.items())}")


@relevance.command("train")
@click.option(
    "--with-feedback",
    is_flag=True,
    help="Also learn from the feedback stored in the database (the alerts' « pertinente » / « pas pertinente » "
    "links, veille feedback): relevant or not, one item a job.",
)
@click.option(
    "--labels",
    "fixtures",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="The fixtures folder holding relevance/labels.tsv (default: tests/fixtures of this checkout).",
)
@click.option(
    "--output",
    metavar="PATH",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the model (default: the file veille reads, alerts/models/transformation.json.gz).",
)
@pass_state
def relevance_train(state: State, with_feedback, fixtures, output):
    """Train the relevance model from the labelled files (tests/fixtures/relevance), reproducibly:
    the same files give the same model, byte for byte. Needs scikit-learn (the [relevance] extra)."""
    from alerts.training import MissingScikitLearn, train, write_model
    from crawler.labelled import LabelledSetMissing, labelled_set, labelled_set_sha256

    try:
        samples = list(labelled_set(fixtures))
        data_sha256 = labelled_set_sha256(fixtures)
        extra = {}
        if with_feedback:
            found = feedback_samples(state.db(must_exist=True))
            samples += found
            extra["feedback"] = len(found)
            data_sha256 = _with_feedback_hash(data_sha256, found)
        trained = train(samples, data_sha256=data_sha256, extra=extra)
    except (MissingScikitLearn, LabelledSetMissing) as error:
        raise UserError(str(error)) from None
    except (OSError, ValueError) as error:  # a labelled item that cannot be read
        raise UserError(f"the labelled set cannot be read: {error}") from None
    path = write_model(trained.model, output or model_path())
    model = Model(trained.model)
    click.echo(
        f"model {model.version}: {len(samples)} items ({trained.model['trained_on']['relevant']} relevant), default "
        f"min_relevance {model.threshold:.2f}, written to {path}"
    )
    click.echo(f"largest gap between veille's scorer and scikit-learn's: {trained.scorer_gap:.1e}")


def _with_feedback_hash(data_sha256: str, samples) -> str:
    import hashlib
    import json

    digest = hashlib.sha256(data_sha256.encode())
    for sample in samples:
        digest.update(json.dumps([sample.group, sample.label], ensure_ascii=False).encode())
        digest.update(json.dumps(sample.offer.get("content_hash")).encode())
    return digest.hexdigest()


@cli.command()
@click.argument("subscription")
@click.argument("offer", metavar="OFFER")
@click.argument("verdict", metavar="yes|no")
@pass_state
def feedback(state: State, subscription, offer, verdict):
    """Say whether a job sent to SUBSCRIPTION was relevant: yes (oui) or no (non), as an alert's
    « pertinente » / « pas pertinente » links do. OFFER is the job number the alert shows, or one of its
    offers as SOURCE:SOURCE_ID.

    The subscription then receives no jobs very like the ones it marked no, and the jobs very like the
    ones it marked yes (README, "Feedback"); `veille relevance train --with-feedback` learns from it."""
    state.config.subscription(subscription)  # unknown name: one-line error, exit 2
    db = state.db(must_exist=True)
    try:
        job_id, named = give_feedback(db, subscription, offer, verdict)
    except UnknownOffer as error:
        raise UserError(str(error.args[0]) if len(error.args) == 1 else str(error)) from None
    except ValueError as error:
        raise UserError(str(error)) from None
    word = "relevant" if verdict.strip().lower() in ("yes", "oui") else "not relevant"
    click.echo(f"{subscription!r}: job {job_id} ({named['title']}) marked {word}.")
