"""DANDI Archive helpers: asset URLs and uploads through DANDI's REST API.

Reading needs nothing from here: a DANDI API URL (``https://api.dandiarchive.org/api/assets/
<id>/download/``) given to ``LindiIO``, ``LindiH5pyFile`` or ``convert`` is resolved to its
signed S3 URL once and reused until it expires (``DANDI_API_KEY`` /
``DANDI_STAGING_API_KEY`` are sent to the API host only).

Examples
--------
>>> from hdmf_lindi.dandi import asset_url
>>> url = asset_url("000409", "sub-CSHL045/sub-CSHL045_ses-0.nwb")  # doctest: +SKIP
"""

from __future__ import annotations

from hdmf_lindi._dandi_urls import STAGING_API_URL
from hdmf_lindi.storage.sources.dandi import register_dandi_instance
from hdmf_lindi.transfer.dandi import parse_dandi_url, upload_to_dandi
from hdmf_lindi.transfer.dandi_api import DANDI_API_URL, DandiAPI, DandiAPIError

__all__ = [
    "DANDI_API_URL",
    "STAGING_API_URL",
    "DandiAPI",
    "DandiAPIError",
    "asset_url",
    "parse_dandi_url",
    "register_dandi_instance",
    "upload_to_dandi",
]


def asset_url(
    dandiset_id: str,
    path: str,
    version: str = "draft",
    *,
    api_url: str = DANDI_API_URL,
    token_variable: str | None = None,
) -> str:
    """The download URL (``<api>/assets/<id>/download/``) of the asset at ``path``.

    Parameters
    ----------
    dandiset_id
        e.g. ``"000409"``.
    path
        The asset's path in the dandiset (exact match).
    version
        ``"draft"`` or a published version (``"0.230316.1133"``).
    api_url
        The DANDI API (default the main archive; :data:`STAGING_API_URL` for staging).
    token_variable
        The environment variable holding the API key (see :class:`DandiAPI`; required for an
        instance that is not registered).

    Returns
    -------
    str

    Raises
    ------
    DandiAPIError
        When the dandiset has no asset at ``path`` (or the API refuses the request).
    """
    api = DandiAPI(api_url, token_variable=token_variable)
    asset_id = api.asset_id(dandiset_id, path, version)
    if asset_id is None:
        raise DandiAPIError(
            f"{api.url(f'dandisets/{dandiset_id}/versions/{version}/assets/')}: no asset at "
            f"{path!r}"
        )
    return api.download_url(asset_id)
