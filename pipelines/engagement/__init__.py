"""The engagement model: training, ranking, portable serving, the prior, personal selection."""
