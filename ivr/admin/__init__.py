"""What admins do while calls run: reloads of data, prompts and Asterisk, all logged."""
