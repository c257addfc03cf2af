"""Command line of trainer.py: parse flags, make the data if missing, train, print the result."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from digits.config import MODEL_DIR, TEST_CSV, TRAIN_CSV
from digits.profiles import DEFAULT_TRAINING_MODEL, PROFILES


def build_parser() -> argparse.ArgumentParser:
    """Return the trainer's argument parser."""
    parser = argparse.ArgumentParser(
        prog="trainer.py",
        description="Train a digit recogniser on the MNIST CSVs and save it as model/mnist_<model>.h5 "
                    "with a JSON model card and plots. The CSVs are made from the real MNIST if missing.",
    )
    parser.add_argument("--model", choices=list(PROFILES), default=DEFAULT_TRAINING_MODEL,
                        help="network to train: " + "; ".join(f"{p.name}: {p.summary}" for p in PROFILES.values())
                        + f" (default: {DEFAULT_TRAINING_MODEL})")
    parser.add_argument("--epochs", type=_positive, help="most epochs to train (default: per model)")
    parser.add_argument("--batch-size", type=_positive, help="pictures per step (default: per model)")
    parser.add_argument("--seed", type=int, default=42, help="random seed; same seed, same model (42)")
    parser.add_argument("--train-csv", type=Path, default=TRAIN_CSV,
                        help="training CSV (default: data/mnist_train.csv)")
    parser.add_argument("--test-csv", type=Path, default=TEST_CSV,
                        help="test CSV (default: data/mnist_test.csv)")
    parser.add_argument("--out", type=Path, default=MODEL_DIR,
                        help="folder for the .h5, its card and reports/ (default: model/)")
    parser.add_argument("--limit", type=_positive, help="train on the first N rows only (quick runs)")
    parser.add_argument("--fresh", action="store_true",
                        help="ignore the checkpoint of an interrupted run and start over")
    parser.add_argument("--no-plots", action="store_true", help="skip writing the plots")
    parser.add_argument("--examples", type=_positive,
                        help="synthetic training examples, for models that draw their own (sequence)")
    parser.add_argument("--calibrate-only", action="store_true",
                        help="do not train: fit the trained model's calibration again on its validation digits")
    parser.add_argument("--export-only", action="store_true",
                        help="do not train: make the trained model's serving files again from its .h5 "
                             "(after upgrading ONNX Runtime, say), checked on the whole test set")
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive whole number")
    return value


def main(argv: list[str] | None = None) -> int:
    """Run the trainer; return the process exit status (2 for bad input)."""
    args = build_parser().parse_args(argv)
    from digits.data import CSVFormatError, DataError, ensure_mnist_csvs

    try:
        if args.train_csv == TRAIN_CSV or args.test_csv == TEST_CSV:
            ensure_mnist_csvs(TRAIN_CSV, TEST_CSV, log=_log)
        from digits.training import TrainingConfig, train
        from digits.training.run import calibrate_trained, export_trained

        config = TrainingConfig(model_name=args.model, train_csv=args.train_csv, test_csv=args.test_csv,
                                out_dir=args.out, epochs=args.epochs, batch_size=args.batch_size,
                                seed=args.seed, train_limit=args.limit, resume=not args.fresh,
                                plots=not args.no_plots, examples=args.examples)
        step = export_trained if args.export_only else calibrate_trained if args.calibrate_only else train
        card = step(config, log=_log)
    except (CSVFormatError, DataError, ValueError) as error:
        print(f"trainer.py: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ntrainer.py: interrupted; run the same command again to resume from the last epoch",
              file=sys.stderr)
        return 130
    shown_path = _relative(args.out / card["file"])
    print(f"test accuracy {card['test_accuracy']:.2%} ({card['test_errors']} errors of "
          f"{card['test_count']}) -> {shown_path}")
    return 0


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _log(message: str) -> None:
    print(message, flush=True)
