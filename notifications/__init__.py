"""Telling people what concerns them: review outcomes, a review digest, publishing alerts, by e-mail and in the admin."""
