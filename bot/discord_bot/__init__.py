"""The Discord face of missionbot: thin cogs over `bot.service.Assistant`; no answering logic here."""
