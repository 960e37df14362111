-- The room's webhook URL, kept with each event when it is written, for the webhook fan-out.
ALTER TABLE events ADD COLUMN webhook_url TEXT NOT NULL DEFAULT '';
