"""Checkov external checks for archmatch. Checkov needs this file to load the folder's checks."""
