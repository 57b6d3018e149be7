#!/usr/bin/env python3
"""WiX 3 elements that wixl 0.101 (Debian 12's msitools) cannot compile, compiled here.

    wixl-extras.py PREPROCESSED.wxs FOR_WIXL.wxs EXTRAS.sql

Reads the output of `wixl -E` (variables resolved), writes the same source without the elements
below for wixl, and the SQL that scripts/windows.sh applies to wixl's MSI with `msibuild -q`, so
that installer/fe2-license-manager.wxs stays the one definition that WiX on Windows builds as is:
  Environment       -> Environment table (+ WriteEnvironmentStrings/RemoveEnvironmentStrings)
  ShortcutProperty  -> MsiShortcutProperty table (Windows Installer 5)
and mends what wixl writes wrongly or leaves out:
  Root="HKMU"       -> Registry/Root -1 (HKLM per machine, HKCU per user); wixl writes 4
  MajorUpgrade/@AllowSameVersionUpgrades="yes"
                    -> the upgrade row includes its own version (wixl ignores the attribute)
The tables are written the way WiX 3's compiler writes them; an attribute or value this script
does not know fails the build instead of being dropped.
"""

import sys
import xml.etree.ElementTree as ET

NS = "http://schemas.microsoft.com/wix/2006/wi"
W = "{%s}" % NS

# Standard sequence numbers of the two actions (the MSI SDK's InstallExecuteSequence).
SEQUENCE = {"RemoveEnvironmentStrings": 3300, "WriteEnvironmentStrings": 5200}

TABLES = {
    "Environment": "CREATE TABLE `Environment` (`Environment` CHAR(72) NOT NULL, "
    "`Name` CHAR(255) NOT NULL LOCALIZABLE, `Value` CHAR(255) LOCALIZABLE, "
    "`Component_` CHAR(72) NOT NULL PRIMARY KEY `Environment`)",
    "MsiShortcutProperty": "CREATE TABLE `MsiShortcutProperty` (`MsiShortcutProperty` CHAR(72) "
    "NOT NULL, `Shortcut_` CHAR(72) NOT NULL, `PropertyKey` CHAR(0) NOT NULL, "
    "`PropVariantValue` CHAR(0) NOT NULL PRIMARY KEY `MsiShortcutProperty`)",
}


def fail(message):
    sys.exit(f"wixl-extras: {message}")


def sql_text(value):
    return "'" + value.replace("'", "''") + "'"


def attributes(element, known):
    unknown = set(element.attrib) - set(known)
    if unknown:
        fail(f"{element.tag[len(W):]}: attributes {sorted(unknown)} are not handled here")
    return {name: element.get(name) for name in known}


def environment_row(element, component):
    a = attributes(
        element, ["Id", "Name", "Value", "Action", "Part", "System", "Permanent", "Separator"]
    )
    if not a["Id"] or not a["Name"]:
        fail("Environment needs Id and Name")
    # Name prefixes (MSI Environment table): = set, + create, ! remove; - remove on uninstall;
    # * system variable.
    action = {"set": "=", "create": "+", "remove": "!", None: "="}.get(a["Action"])
    if action is None:
        fail(f"Environment/@Action={a['Action']!r}")
    name = action
    if a["Permanent"] in (None, "no"):
        name += "-"
    elif a["Permanent"] != "yes":
        fail(f"Environment/@Permanent={a['Permanent']!r}")
    if a["System"] == "yes":
        name += "*"
    elif a["System"] not in (None, "no"):
        fail(f"Environment/@System={a['System']!r}")
    name += a["Name"]
    separator = a["Separator"] or ";"
    value = a["Value"] or ""
    # [~] stands for the variable's present value: Part appends or prepends one entry.
    part = a["Part"] or "all"
    if part == "last":
        value = "[~]" + separator + value
    elif part == "first":
        value = value + separator + "[~]"
    elif part != "all":
        fail(f"Environment/@Part={part!r}")
    return ("Environment", (a["Id"], name, value, component))


def shortcut_property_row(element, shortcut, index):
    a = attributes(element, ["Id", "Key", "Value"])
    if not a["Key"] or a["Value"] is None:
        fail("ShortcutProperty needs Key and Value")
    key = a["Id"] or f"{shortcut}.{index}"
    return ("MsiShortcutProperty", (key, shortcut, a["Key"], a["Value"]))


def main():
    if len(sys.argv) != 4:
        fail("usage: wixl-extras.py PREPROCESSED.wxs FOR_WIXL.wxs EXTRAS.sql")
    source, for_wixl, extras = sys.argv[1:]
    ET.register_namespace("", NS)
    tree = ET.parse(source)
    rows = []
    for component in tree.iter(W + "Component"):
        for element in list(component.findall(W + "Environment")):
            rows.append(environment_row(element, component.get("Id")))
            component.remove(element)
        for shortcut in list(component.iter(W + "Shortcut")):
            for index, element in enumerate(shortcut.findall(W + "ShortcutProperty")):
                rows.append(shortcut_property_row(element, shortcut.get("Id"), index))
                shortcut.remove(element)
    for tag in ("Environment", "ShortcutProperty"):
        if tree.find(".//" + W + tag) is not None:
            fail(f"{tag} outside the places handled here")
    same_version = False
    for element in tree.iter(W + "MajorUpgrade"):
        value = element.attrib.pop("AllowSameVersionUpgrades", "no")
        if value not in ("yes", "no"):
            fail(f"MajorUpgrade/@AllowSameVersionUpgrades={value!r}")
        same_version = same_version or value == "yes"
    tree.write(for_wixl, encoding="utf-8", xml_declaration=True)

    queries = []
    for table in sorted({table for table, _ in rows}):
        queries.append(TABLES[table])
    for table, values in rows:
        columns = {
            "Environment": "`Environment`, `Name`, `Value`, `Component_`",
            "MsiShortcutProperty": "`MsiShortcutProperty`, `Shortcut_`, `PropertyKey`, "
            "`PropVariantValue`",
        }[table]
        listed = ", ".join(sql_text(v) for v in values)
        queries.append(f"INSERT INTO `{table}` ({columns}) VALUES ({listed})")
    # wixl writes its own number of HKMU (4, which Windows Installer does not know); -1 is MSI's.
    if any(e.get("Root") == "HKMU" for e in tree.iter() if e.tag.startswith(W + "Registry")):
        queries.append("UPDATE `Registry` SET `Root` = -1 WHERE `Root` = 4")
    # The row that removes older versions, again with MigrateFeatures (1) and now
    # VersionMaxInclusive (512), so that a rebuild of the same version replaces the installed one
    # too. Attributes is part of the table's key, so the row is replaced, not updated.
    if same_version:
        product = tree.getroot().find(W + "Product")
        code, version = product.get("UpgradeCode"), product.get("Version")
        queries.append(
            "DELETE FROM `Upgrade` WHERE `ActionProperty` = 'WIX_UPGRADE_DETECTED'"
        )
        queries.append(
            "INSERT INTO `Upgrade` (`UpgradeCode`, `VersionMax`, `Attributes`, `ActionProperty`) "
            f"VALUES ({sql_text(code)}, {sql_text(version)}, 513, 'WIX_UPGRADE_DETECTED')"
        )
    if any(table == "Environment" for table, _ in rows):
        for action, sequence in SEQUENCE.items():
            queries.append(
                "INSERT INTO `InstallExecuteSequence` (`Action`, `Sequence`) "
                f"VALUES ('{action}', {sequence})"
            )
    with open(extras, "w", encoding="utf-8") as out:
        out.write("".join(q + "\n" for q in queries))


if __name__ == "__main__":
    main()
