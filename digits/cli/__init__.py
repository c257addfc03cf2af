"""The command lines behind trainer.py, api.py and predict.py: each ``main(argv) -> exit status``."""
