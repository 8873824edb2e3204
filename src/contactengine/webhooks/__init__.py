"""Webhooks from Twilio and SendGrid: trusting who sent them, and acting on each once."""
