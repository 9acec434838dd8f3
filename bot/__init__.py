"""Rapport: a Slack and Teams bot for healthy client relationships."""
