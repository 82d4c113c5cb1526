"""Any system can subscribe to status changes: signed outbound webhooks (Standard Webhooks), managed in the admin."""
