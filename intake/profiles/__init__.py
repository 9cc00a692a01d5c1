"""Groups' public profiles (公開プロフィール), published after a moderator's review."""
