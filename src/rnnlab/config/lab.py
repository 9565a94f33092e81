"""The lab's ten variants in the textbook's order (chapters 8-9). config.yaml defines them (the
tests check that its variants are these, in this order); the report lists them in this order,
other names alphabetically after them."""

LAB_VARIANTS = ("rnn_scratch", "rnn_scratch_random", "rnn_concise", "rnn_deep", "gru_scratch",
                "gru_concise", "lstm_scratch", "lstm_concise", "lstm_deep", "gru_deep")
