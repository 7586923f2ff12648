"""The Slack adapter (slack-bolt AsyncApp). Every Slack SDK import stays in this package."""
