"""The preference model's pure parts: its features and its scikit-learn estimators."""
