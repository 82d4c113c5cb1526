"""How the hub's token authentications appear in the OpenAPI schema."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class HubApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "hub.api.HubApiTokenAuthentication"
    name = "hubApiToken"

    def get_security_definition(self, auto_schema):  # noqa: ANN001, ANN201
        return {"type": "http", "scheme": "bearer", "description": "HUB_API_TOKEN"}


class ShopWebhookTokenScheme(OpenApiAuthenticationExtension):
    target_class = "integrations.api.webhooks.ShopWebhookAuthentication"
    name = "shopWebhookToken"

    def get_security_definition(self, auto_schema):  # noqa: ANN001, ANN201
        return {"type": "apiKey", "in": "query", "name": "token",
                "description": "SHOP_WEBHOOK_TOKEN in the URL (or as a bearer token)"}


class ImshopCallbackKeyScheme(OpenApiAuthenticationExtension):
    target_class = "integrations.api.imshop.ImshopCallbackAuthentication"
    name = "imshopCallbackKey"

    def get_security_definition(self, auto_schema):  # noqa: ANN001, ANN201
        return {"type": "http", "scheme": "bearer",
                "description": "IMSHOP_CALLBACK_TOKEN (or as \"key\" in the JSON body)"}
