"""Output: the picture (render), labelled rows and audience files (export), the key (keystore).
May import errors, result, model (features, compare) and explain; never read, never Slack."""
