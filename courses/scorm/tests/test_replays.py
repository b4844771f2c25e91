"""Import bugs reported against other LMSs and SCORM tools, replayed here."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from courses.scorm.models import ScormPackage
from courses.scorm.services import scorm_package_import
from courses.scorm.testing import zip_bytes
from courses.scorm.tests.conftest import stored_files

pytestmark = pytest.mark.django_db


def test_xml_base_on_resources_and_resource_is_applied_to_the_launch_file(scorm_storage):
    """learningequality/ricecooker#298: GeoGebra's SCORM export puts its files in SCORM/ and says so with
    xml:base on <resources>; a parser that ignores xml:base looks for the launch file at the root."""
    manifest = (
        '<manifest identifier="geogebra" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" '
        'xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">'
        "<metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>"
        '<organizations default="o"><organization identifier="o"><title>Eventos</title>'
        '<item identifier="i1" identifierref="r1"><title>Eventos</title></item>'
        '<item identifier="i2" identifierref="r2" parameters="?page=2"><title>Part two</title></item>'
        "</organization></organizations>"
        '<resources xml:base="SCORM/">'
        '<resource identifier="r1" type="webcontent" adlcp:scormtype="sco" href="index.html"/>'
        '<resource identifier="r2" type="webcontent" adlcp:scormtype="sco" xml:base="two" href="start%20here.html"/>'
        "</resources></manifest>"
    )
    package = scorm_package_import(
        file=zip_bytes(
            {
                "imsmanifest.xml": manifest,
                "SCORM/index.html": "<html></html>",
                "SCORM/APIWrapper.js": "",
                "SCORM/two/start here.html": "<html></html>",
            }
        )
    )
    assert list(package.items.values_list("href", flat=True)) == [
        "SCORM/index.html",
        "SCORM/two/start here.html?page=2",
    ]
    assert package.storage_prefix + "SCORM/APIWrapper.js" in stored_files(scorm_storage)


def test_articulate_rise_scorm_12_manifest_is_read_as_12(scorm_storage):
    """chamilo/chamilo-lms#3722: a Rise SCORM 1.2 export (metadata with adlcp:location, launch file in
    scormdriver/, isvisible) was taken for SCORM 2004."""
    manifest = """<?xml version="1.0" ?>
<manifest identifier="ADVPogexgGDdtvyAsbUzL" version="1"
xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2"
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
xsi:schemaLocation="http://www.imsproject.org/xsd/imscp_rootv1p1p2 imscp_rootv1p1p2.xsd">
<metadata>
<schema>ADL SCORM</schema>
<schemaversion>1.2</schemaversion>
<adlcp:location>metadata.xml</adlcp:location>
</metadata>
<organizations default="articulate_rise">
<organization identifier="articulate_rise">
<title>Fechamento da Folha de Pagamento</title>
<item identifier="i1" identifierref="r1" isvisible="true">
<title>Fechamento da Folha de Pagamento</title>
</item>
</organization>
</organizations>
<resources>
<resource identifier="r1" type="webcontent" adlcp:scormtype="sco" href="scormdriver/indexAPI.html">
<file href="scormdriver/indexAPI.html" />
<file href="scormdriver/blank.html" />
</resource>
</resources>
</manifest>"""
    package = scorm_package_import(
        file=zip_bytes(
            {
                "imsmanifest.xml": manifest,
                "metadata.xml": "<lom/>",
                "scormdriver/indexAPI.html": "<html></html>",
                "scormdriver/blank.html": "",
            }
        )
    )
    assert package.scorm_version == "1.2" and package.title == "Fechamento da Folha de Pagamento"
    [item] = package.items.all()
    assert (item.href, item.is_sco, item.is_visible) == ("scormdriver/indexAPI.html", True, True)


def test_an_item_pointing_at_a_missing_resource_is_refused_by_name(scorm_storage):
    """pipwerks/scorm-api-wrapper#16: 'An item element was found that references a resource ...
    SCO_Resource_01 that does not exist' (SCORM Cloud's parser); here too, nothing is stored."""
    manifest = (
        '<manifest identifier="m" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" '
        'xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2"><metadata><schemaversion>1.2</schemaversion>'
        '</metadata><organizations default="o"><organization identifier="o"><title>T</title>'
        '<item identifier="i1" identifierref="SCO_Resource_01"><title>T</title></item></organization>'
        '</organizations><resources><resource identifier="SCO_Resource_1" type="webcontent" '
        'adlcp:scormtype="sco" href="index.html"/></resources></manifest>'
    )
    with pytest.raises(ValidationError) as refused:
        scorm_package_import(file=zip_bytes({"imsmanifest.xml": manifest, "index.html": "x"}))
    assert refused.value.messages == [
        "Item “i1” refers to the resource “SCO_Resource_01”, which the manifest does not have."
    ]
    assert not ScormPackage.objects.exists() and stored_files(scorm_storage) == []


def test_a_12_resource_without_scormtype_is_launched_as_a_sco(scorm_storage):
    """Sunbird-Knowlg/knowledge-platform#1259: 1.2 packages missing adlcp:scormtype need a fallback;
    treated as assets they would never report a status."""
    manifest = (
        '<manifest identifier="m" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" '
        'xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2"><metadata><schemaversion>1.2</schemaversion>'
        '</metadata><organizations default="o"><organization identifier="o"><title>T</title>'
        '<item identifier="i1" identifierref="r1"><title>T</title></item></organization></organizations>'
        '<resources><resource identifier="r1" type="webcontent" href="index.html"/></resources></manifest>'
    )
    package = scorm_package_import(file=zip_bytes({"imsmanifest.xml": manifest, "index.html": "x"}))
    assert package.items.get().is_sco
