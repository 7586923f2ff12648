"""The Microsoft Teams adapter on the Microsoft 365 Agents SDK (TEAMS_SDK=agents), botbuilder's
successor. Every `microsoft_agents` import stays in this package, as every botbuilder import
stays in bot/teams/; what both share (place, cards, button data) is in bot.teams.common,
bot.teams.render, bot.teams.chart and bot.delivery. Installed with the `agents` extra."""
