"""The Microsoft Teams adapter. Every botbuilder/botframework import stays in this package, so
moving to the Microsoft 365 Agents SDK (the SDK's successor) touches this folder only."""
