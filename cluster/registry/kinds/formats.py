"""Syntax rules the kinds share (ports, config keys, IPs, CIDRs, labels), with kube's messages.

These complement ``cluster.registry.names`` (DNS names, label keys and values) with the other
checks of apimachinery's ``util/validation``. Each ``*_problems`` function returns the reasons
a value fails, empty when it is fine; the ``*_causes`` helpers turn them into field causes.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from cluster.registry import names
from cluster.registry.errors import Cause, describe_value, invalid, too_long
from cluster.registry.kinds.shapes import key

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_CONFIG_MAP_KEY = "[-._a-zA-Z0-9]+"
_HTTP_HEADER = "[-A-Za-z0-9]+"
_CONFIG_MAP_KEY_RE = re.compile(f"^{_CONFIG_MAP_KEY}$")
_HTTP_HEADER_RE = re.compile(f"^{_HTTP_HEADER}$")
_PORT_NAME_CHARS_RE = re.compile("^[-a-z0-9]+$")
_IPV4_SLOPPY_RE = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$")

PROTOCOLS = ["SCTP", "TCP", "UDP"]
IP_PROBLEM = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
CIDR_PROBLEM = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"
NEGATIVE_PROBLEM = "must be greater than or equal to 0"
IMMUTABLE_PROBLEM = "field is immutable"


def regex_error(message: str, pattern: str, *examples: str) -> str:
    """Kube's wording for a value that does not match a pattern, with example values."""
    if not examples:
        return f"{message} (regex used for validation is '{pattern}')"
    listed = " or ".join(f"'{e}', " for e in examples)
    return f"{message} (e.g. {listed}regex used for validation is '{pattern}')"


def inclusive_range(low: int, high: int) -> str:
    return f"must be between {low} and {high}, inclusive"


def each(path: str, problems: list[str], value: Any) -> list[Cause]:
    return [invalid(path, value, p) for p in problems]


def not_found(path: str, value: Any) -> Cause:
    return Cause(path, f"Not found: {describe_value(value)}", "FieldValueNotFound")


def _chdir_prefix(value: str) -> list[str]:
    if value in (".", ".."):
        return [f"must not be '{value}'"]
    if value.startswith(".."):
        return ["must not start with '..'"]
    return []


def config_map_key_problems(value: str) -> list[str]:
    problems = []
    if len(value) > names.DNS1123_SUBDOMAIN_MAX:
        problems.append(f"must be no more than {names.DNS1123_SUBDOMAIN_MAX} characters")
    if not _CONFIG_MAP_KEY_RE.match(value):
        problems.append(
            regex_error(
                "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                _CONFIG_MAP_KEY,
                "key.name",
                "KEY_NAME",
                "key-name",
            )
        )
    return problems + _chdir_prefix(value)


def port_name_problems(value: str) -> list[str]:
    """An IANA_SVC_NAME: at most 15 of [-a-z0-9], at least one letter, no edge or double '-'."""
    problems = []
    if len(value) > 15:
        problems.append("must be no more than 15 characters")
    if not _PORT_NAME_CHARS_RE.match(value):
        problems.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search("[a-z]", value):
        problems.append("must contain at least one letter (a-z)")
    if "--" in value:
        problems.append("must not contain consecutive hyphens")
    if value.startswith("-") or value.endswith("-"):
        problems.append("must not begin or end with a hyphen")
    return problems


def port_number_problems(value: int) -> list[str]:
    return [] if 1 <= value <= 65535 else [inclusive_range(1, 65535)]


def http_header_name_problems(value: str) -> list[str]:
    if _HTTP_HEADER_RE.match(value):
        return []
    message = "a valid HTTP header must consist of alphanumeric characters or '-'"
    return [regex_error(message, _HTTP_HEADER, "X-Header-Name")]


def label_causes(labels: dict[str, Any], path: str) -> list[Cause]:
    """A label map (nodeSelector, template labels) as apimachinery's ``ValidateLabels``."""
    causes = []
    for name, value in labels.items():
        causes += each(path, names.qualified_name(name), name)
        if isinstance(value, str):
            causes += each(path, names.label_value(value), value)
        else:
            causes.append(invalid(key(path, name), value, "must be a string"))
    return causes


def parse_ip(value: str) -> IPAddress | None:
    """An IP as kube's sloppy parser reads it: IPv4 octets may carry leading zeros, no zones."""
    if "%" in value:
        return None
    if _IPV4_SLOPPY_RE.match(value):
        octets = [int(part) for part in value.split(".")]
        if max(octets) > 255:
            return None
        return ipaddress.IPv4Address(".".join(str(o) for o in octets))
    if ":" not in value:
        return None
    try:
        return ipaddress.IPv6Address(value)
    except ValueError:
        return None


def ip_causes(path: str, value: str) -> list[Cause]:
    return [] if parse_ip(value) is not None else [invalid(path, value, IP_PROBLEM)]


def non_special_ip_causes(path: str, value: str) -> list[Cause]:
    """Kube's ``ValidateNonSpecialIP``: no unspecified, loopback or link-local addresses."""
    ip = parse_ip(value)
    if ip is None:
        return [invalid(path, value, "must be a valid IP address")]
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    problems = []
    if ip.is_unspecified:
        problems.append(f"may not be unspecified ({value})")
    if ip.is_loopback:
        problems.append("may not be in the loopback range (127.0.0.0/8, ::1/128)")
    if ip.is_link_local:
        problems.append("may not be in the link-local range (169.254.0.0/16, fe80::/10)")
    if _is_link_local_multicast(ip):
        problems.append("may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)")
    return each(path, problems, value)


def _is_link_local_multicast(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv4Address):
        return ip in ipaddress.IPv4Network("224.0.0.0/24")
    packed = ip.packed
    return packed[0] == 0xFF and packed[1] & 0x0F == 0x02


def parse_cidr(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    """A CIDR as kube's sloppy parser reads it; host bits may be set ("10.0.0.1/24")."""
    address, slash, prefix = value.partition("/")
    ip = parse_ip(address)
    if not slash or ip is None or not re.fullmatch("[0-9]+", prefix):
        return None
    if int(prefix) > ip.max_prefixlen:
        return None
    return ipaddress.ip_network(f"{ip}/{int(prefix)}", strict=False)


def cidr_causes(path: str, value: str) -> list[Cause]:
    return [] if parse_cidr(value) is not None else [invalid(path, value, CIDR_PROBLEM)]


ANNOTATIONS_MAX_BYTES = 256 * 1024


def annotation_causes(annotations: Any, path: str) -> list[Cause]:
    """Annotations outside an object's own metadata (a pod template's), as kube checks them."""
    if annotations is None:
        return []
    if not isinstance(annotations, dict):
        return [invalid(path, annotations, "must be a map of strings")]
    causes = []
    size = 0
    for name, value in annotations.items():
        causes += each(path, names.qualified_name(name.lower()), name)
        if not isinstance(value, str):
            causes.append(invalid(key(path, name), value, "must be a string"))
            continue
        size += len(name.encode()) + len(value.encode())
    if size > ANNOTATIONS_MAX_BYTES:
        causes.append(too_long(path, ANNOTATIONS_MAX_BYTES))
    return causes
