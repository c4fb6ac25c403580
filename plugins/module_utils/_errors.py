# -*- coding: utf-8 -*-
# Copyright: cloudcred.ec2 contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""amazon.aws's error handlers, with the call's arguments in their description on every amazon.aws this supports.

amazon.aws 10 formats an error handler's description with the decorated call's arguments ("create role {name}"
becomes "create role qateam-app"); amazon.aws 9 (the ``ansible`` 11 package's, within galaxy.yml's ``>=9.0.0``) prints
the placeholders as they are. ``handles`` gives the handler a description already formatted where amazon.aws does
not format it, and amazon.aws's own formatting otherwise; which one is found by trying the handler once, here.

Private to this collection (leading underscore): no compatibility promise.
"""

from __future__ import annotations

import functools
import inspect

from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler

try:
    from botocore.exceptions import ClientError
except ImportError:  # the module reports boto3's absence itself (AnsibleAWSModule)
    ClientError = None


def _handlers_format_descriptions() -> bool:
    """Whether amazon.aws's handlers put the call's arguments into the description (amazon.aws 10 and later)."""
    if ClientError is None:
        return True

    @AWSErrorHandler.common_error_handler("probe {value}")
    def probe(value):
        raise ClientError({"Error": {"Code": "Probe", "Message": value}}, "Probe")

    try:
        probe("formatted")
    except AWSErrorHandler._CUSTOM_EXCEPTION as error:  # pylint: disable=protected-access
        return "probe formatted" in str(error.message)
    return True  # pragma: no cover - the probe always raises


HANDLERS_FORMAT = _handlers_format_descriptions()


def handles(make_handler, description: str, *default):
    """``make_handler(description, *default)`` (e.g. ``IAMErrorHandler.common_error_handler``) as a decorator,
    with the call's arguments in the description whatever amazon.aws formats."""
    if HANDLERS_FORMAT:
        return make_handler(description, *default)

    def decorator(func):
        signature = inspect.signature(func)

        @functools.wraps(func)
        def handled(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            try:
                described = description.format(**bound.arguments)
            except (KeyError, IndexError, ValueError, AttributeError):
                described = description
            return make_handler(described, *default)(func)(*args, **kwargs)

        return handled

    return decorator
