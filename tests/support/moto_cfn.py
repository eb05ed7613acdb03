"""Stand-ins for the resource types of infra/ that moto's CloudFormation does not implement, so
that the stacks deploy in-process and their outputs are real: the secret is a real moto
Secrets Manager secret; the CloudFront function and distribution only get ids and names
(nothing in the tests talks to CloudFront)."""

from __future__ import annotations

import secrets
from typing import Any

from moto.cloudformation import parsing
from moto.core.common_models import CloudFormationModel


class _StandIn:
    """What every stand-in shares (moto only finds direct subclasses of CloudFormationModel)."""

    physical_resource_id: str

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return True

    @classmethod
    def update_from_cloudformation_json(cls, original_resource: Any, new_resource_name: str, cloudformation_json: dict[str, Any],
                                        account_id: str, region_name: str) -> Any:
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
                                        region_name: str) -> None:
        return None

    def is_created(self) -> bool:
        return True


class SecretStandIn(_StandIn, CloudFormationModel):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::SecretsManager::Secret"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
                                        region_name: str, **kwargs: Any) -> SecretStandIn:
        from moto.secretsmanager.models import secretsmanager_backends

        props = cloudformation_json["Properties"]
        length = int(props.get("GenerateSecretString", {}).get("PasswordLength", 32))
        backend = secretsmanager_backends[account_id][region_name]
        created = backend.create_secret(
            name=props.get("Name", resource_name), secret_string=secrets.token_urlsafe(length)[:length], secret_binary=None,
            description=props.get("Description"), tags=None, kms_key_id=None, client_request_token=None, replica_regions=[],
            force_overwrite=False,
        )
        standin = cls()
        standin.physical_resource_id = __import__("json").loads(created)["ARN"]
        return standin


class CloudFrontFunctionStandIn(_StandIn, CloudFormationModel):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudFront::Function"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
                                        region_name: str, **kwargs: Any) -> CloudFrontFunctionStandIn:
        standin = cls()
        standin.physical_resource_id = f"arn:aws:cloudfront::{account_id}:function/{cloudformation_json['Properties']['Name']}"
        return standin

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.physical_resource_id


class DistributionStandIn(_StandIn, CloudFormationModel):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudFront::Distribution"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str,
                                        region_name: str, **kwargs: Any) -> DistributionStandIn:
        standin = cls()
        standin.physical_resource_id = "E" + secrets.token_hex(6).upper()
        return standin

    def get_cfn_attribute(self, attribute_name: str) -> str:
        if attribute_name == "DomainName":
            return f"d{self.physical_resource_id.lower()}.cloudfront.net"
        return self.physical_resource_id


def install() -> None:
    """Make moto's CloudFormation see the stand-ins (its model map is cached)."""
    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()
