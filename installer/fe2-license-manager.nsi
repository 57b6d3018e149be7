; The setup program of FE2 License Manager for Windows (docs/windows.md); the MSI
; (fe2-license-manager.wxs) installs the same files, those of files.txt. Built by makensis,
; on Linux by scripts/windows.sh and on Windows with the same command line:
;   makensis -DVERSION=0.1.0 -DBIN_DIR=<folder with the files of installer/files.txt>
;            -DOUT_FILE=<installer .exe> installer/fe2-license-manager.nsi
; Installs the app and fe2-license.exe, per user or per machine (the CLI then on the machine's
; PATH, in a folder only administrators may change), German or English, silent with /S
; (/CurrentUser or /AllUsers, /D=<folder> last). Uninstalling keeps the user's data and keychain
; entries.

Unicode true
; A 64-bit installer for a 64-bit program (Debian's NSIS has the amd64 stub). Where makensis has
; only the x86 stubs (the official Windows build), pass -DTARGET=x86-unicode: the program files
; folder and the registry views are switched to 64-bit below either way.
!ifndef TARGET
  !define TARGET amd64-unicode
!endif
Target ${TARGET}
SetCompressor /SOLID lzma
ManifestDPIAware true

!ifndef VERSION
  !error "VERSION is not defined (makensis -DVERSION=x.y.z)"
!endif
!ifndef BIN_DIR
  !error "BIN_DIR is not defined (the folder with the built .exe files)"
!endif
!ifndef OUT_FILE
  !define OUT_FILE "FE2-License-Manager_${VERSION}_x64-setup.exe"
!endif

!define PRODUCT "FE2 License Manager"
!define PUBLISHER "FE2 License Manager"
!define APP_EXE "fe2-license-manager.exe"
; The AppUserModelID: the app's identifier in tauri.conf.json, which Windows ties toasts to.
!define AUMID "de.fe2.license-manager"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${PRODUCT}"
!define PRODUCT_KEY "Software\${PRODUCT}"
!define ENV_KEY "SYSTEM\CurrentControlSet\Control\Session Manager\Environment"
; The MSI's UpgradeCode, from its source: a per-machine install does not go beside the MSI.
!searchparse /file "fe2-license-manager.wxs" `UpgradeCode="` MSI_UPGRADE_CODE `"`
; The WebView2 runtime's registration (Evergreen), per machine and per user.
!define WEBVIEW2_GUID "{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}"
!define WEBVIEW2_URL "https://developer.microsoft.com/microsoft-edge/webview2/"

Name "${PRODUCT}"
OutFile "${OUT_FILE}"
BrandingText "${PRODUCT} ${VERSION}"
VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=0 "ProductName" "${PRODUCT}"
VIAddVersionKey /LANG=0 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileDescription" "${PRODUCT} Setup"
VIAddVersionKey /LANG=0 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=0 "LegalCopyright" "MIT License"

!define MULTIUSER_EXECUTIONLEVEL Highest
!define MULTIUSER_MUI
!define MULTIUSER_INSTALLMODE_COMMANDLINE
!define MULTIUSER_USE_PROGRAMFILES64
!define MULTIUSER_INSTALLMODE_INSTDIR "${PRODUCT}"
!define MULTIUSER_INSTALLMODE_INSTDIR_REGISTRY_KEY "${PRODUCT_KEY}"
!define MULTIUSER_INSTALLMODE_INSTDIR_REGISTRY_VALUENAME "InstallLocation"
!include MultiUser.nsh
!include MUI2.nsh
!include LogicLib.nsh
!include FileFunc.nsh
!include x64.nsh
!include WinMessages.nsh
!include Win\COM.nsh
!include Win\Propkey.nsh

; makensis works in the script's folder.
!define ICON "../src-tauri/icons/icon.ico"
!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_LANGDLL_ALLLANGUAGES
!define MUI_LANGDLL_REGISTRY_ROOT SHCTX
!define MUI_LANGDLL_REGISTRY_KEY "${PRODUCT_KEY}"
!define MUI_LANGDLL_REGISTRY_VALUENAME "Installer Language"
!define MUI_FINISHPAGE_RUN "$INSTDIR\${APP_EXE}"

!insertmacro MULTIUSER_PAGE_INSTALLMODE
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES

; The first language is the default (German users first).
!insertmacro MUI_LANGUAGE "German"
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_RESERVEFILE_LANGDLL

LangString NoWebView2 ${LANG_GERMAN} "Auf diesem Computer fehlt die Laufzeitumgebung Microsoft Edge WebView2, ohne die das Programmfenster der FE2 Lizenzverwaltung nicht erscheint.$\r$\n$\r$\nInstallieren Sie die $\"WebView2 Runtime$\" (Evergreen) von$\r$\n${WEBVIEW2_URL}$\r$\noder bitten Sie Ihre IT-Abteilung darum. Die Befehlszeile fe2-license.exe arbeitet auch ohne WebView2.$\r$\n$\r$\nJetzt trotzdem installieren?"
LangString NoWebView2 ${LANG_ENGLISH} "The Microsoft Edge WebView2 runtime is missing on this computer; without it the FE2 License Manager window cannot appear.$\r$\n$\r$\nInstall the $\"WebView2 Runtime$\" (Evergreen) from$\r$\n${WEBVIEW2_URL}$\r$\nor ask your IT department to. The command line fe2-license.exe works without WebView2.$\r$\n$\r$\nInstall anyway?"
LangString PathNotChanged ${LANG_GERMAN} "Der PATH des Computers konnte nicht gelesen oder geschrieben werden; fe2-license.exe liegt in $INSTDIR."
LangString PathNotChanged ${LANG_ENGLISH} "The machine's PATH could not be read or written; fe2-license.exe is in $INSTDIR."
LangString MsiInstalled ${LANG_GERMAN} "Die FE2 Lizenzverwaltung ist bereits als MSI-Paket für alle Benutzer installiert ($0). Aktualisieren Sie sie mit dem neueren MSI-Paket oder deinstallieren Sie es zuerst: msiexec /x $0"
LangString MsiInstalled ${LANG_ENGLISH} "FE2 License Manager is already installed for all users as an MSI package ($0). Update it with the newer MSI package or uninstall that first: msiexec /x $0"
LangString FolderNotProtected ${LANG_GERMAN} "Die Rechte des Programmordners $INSTDIR konnten nicht gesetzt werden (install.log dort nennt den Grund). Ohne sie könnten Benutzer dort Programme ablegen, die über den PATH des Computers gestartet werden; die Installation wird abgebrochen."
LangString FolderNotProtected ${LANG_ENGLISH} "The permissions of the program folder $INSTDIR could not be set (install.log there says why). Without them users could put programs there that start through the machine's PATH; the installation stops."

Var WebView2Version

Function .onInit
  ; /D=<folder> sets $INSTDIR before .onInit; MultiUser would replace it with its default.
  StrCpy $R9 $INSTDIR
  ${If} ${RunningX64}
    SetRegView 64
  ${EndIf}
  !insertmacro MULTIUSER_INIT
  ${If} $R9 != ""
    StrCpy $INSTDIR $R9
  ${EndIf}
  !insertmacro MUI_LANGDLL_DISPLAY
  Call WarnWithoutWebView2
FunctionEnd

Function un.onInit
  ${If} ${RunningX64}
    SetRegView 64
  ${EndIf}
  !insertmacro MULTIUSER_UNINIT
  !insertmacro MUI_UNGETLANGUAGE
FunctionEnd

; Sets $WebView2Version to the installed runtime's version, or "" when there is none.
Function FindWebView2
  StrCpy $WebView2Version ""
  ReadRegStr $0 HKLM "SOFTWARE\WOW6432Node\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_GUID}" "pv"
  ${If} $0 == ""
    ReadRegStr $0 HKLM "SOFTWARE\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_GUID}" "pv"
  ${EndIf}
  ${If} $0 == ""
    ReadRegStr $0 HKCU "Software\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_GUID}" "pv"
  ${EndIf}
  ${If} $0 != "0.0.0.0"
    StrCpy $WebView2Version $0
  ${EndIf}
FunctionEnd

; Interactive installs say before copying anything that WebView2 is missing and what to do.
Function WarnWithoutWebView2
  Call FindWebView2
  ${If} $WebView2Version == ""
  ${AndIfNot} ${Silent}
    MessageBox MB_YESNO|MB_ICONEXCLAMATION "$(NoWebView2)" /SD IDYES IDYES +2
    Abort
  ${EndIf}
FunctionEnd

; A start-menu shortcut that carries the AppUserModelID, made in one go through the shell's COM
; interfaces (NSIS's CreateShortcut cannot set properties): toast notifications need it.
; $0 = shortcut path, $1 = target.
Function CreateAppShortcut
  Push $2
  Push $3
  Push $4
  Push $5
  Push $6
  !insertmacro ComHlpr_CreateInProcInstance ${CLSID_ShellLink} ${IID_IShellLink} r2 ""
  ${If} $2 P<> 0
    ${IShellLink::SetPath} $2 '("$1")'
    ${IShellLink::SetWorkingDirectory} $2 '("$INSTDIR")'
    ${IUnknown::QueryInterface} $2 '("${IID_IPropertyStore}",.r3)'
    ${If} $3 P<> 0
      System::Call 'oleaut32::SysAllocString(w "${AUMID}")p.r4'
      System::Call '*${SYSSTRUCT_PROPERTYKEY}(${PKEY_AppUserModel_ID})p.r5'
      ; PROPVARIANT: vt, 6 reserved bytes, the BSTR pointer, room for the rest of the union.
      System::Call '*(&i2 ${VT_BSTR}, &i6 0, p r4, &i8 0)p.r6'
      ${IPropertyStore::SetValue} $3 '($5,$6)'
      ${IPropertyStore::Commit} $3 ""
      System::Call 'oleaut32::SysFreeString(p r4)'
      System::Free $5
      System::Free $6
      ${IUnknown::Release} $3 ""
    ${EndIf}
    ${IUnknown::QueryInterface} $2 '("${IID_IPersistFile}",.r3)'
    ${If} $3 P<> 0
      ${IPersistFile::Save} $3 '("$0",1)'
      ${IUnknown::Release} $3 ""
    ${EndIf}
    ${IUnknown::Release} $2 ""
  ${EndIf}
  ; Without COM (never seen, but a shortcut matters more than its AUMID).
  ${IfNot} ${FileExists} "$0"
    CreateShortcut "$0" "$1"
  ${EndIf}
  Pop $6
  Pop $5
  Pop $4
  Pop $3
  Pop $2
FunctionEnd

!define REG_HKLM 0x80000002
!define REG_KEY_RW 0x2001F ; KEY_READ | KEY_WRITE
!define REG_WOW64_64KEY 0x0100
!define REG_EXPAND_SZ 2

; Adds ($0 = 1) or removes ($0 = 0) ";$INSTDIR" in the machine-wide PATH. The PATH is read and
; written through the registry API in a buffer of its own size: NSIS strings end at 1024
; characters, which would cut a long PATH.
!macro EDIT_MACHINE_PATH UN
Function ${UN}EditMachinePath
  System::Call 'advapi32::RegOpenKeyExW(p ${REG_HKLM}, w "${ENV_KEY}", i 0, i ${REG_KEY_RW}|${REG_WOW64_64KEY}, *p .r1) i .r2'
  ${If} $2 != 0
    DetailPrint "$(PathNotChanged)"
    Return
  ${EndIf}
  ; The value's size in bytes, then the value into a buffer with room for ";<folder>".
  StrCpy $4 0
  System::Call 'advapi32::RegQueryValueExW(p r1, w "Path", p 0, p 0, p 0, *i .r4) i .r2'
  StrLen $5 ";$INSTDIR"
  IntOp $5 $5 * 2
  IntOp $5 $5 + $4
  IntOp $5 $5 + 4
  System::Alloc $5
  Pop $6
  StrCpy $7 $5
  System::Call 'advapi32::RegQueryValueExW(p r1, w "Path", p 0, p 0, p r6, *i r7) i .r2'
  System::Call 'shlwapi::StrStrIW(p r6, w ";$INSTDIR") p .r8'
  StrCpy $2 0
  ${If} $0 == 1
  ${AndIf} $8 P= 0
    System::Call 'kernel32::lstrcatW(p r6, w ";$INSTDIR")'
    StrCpy $2 1
  ${ElseIf} $0 == 0
  ${AndIf} $8 P<> 0
    ; Drop ";<folder>": move the rest of the value, with its terminating NUL, over it.
    StrLen $9 ";$INSTDIR"
    IntOp $9 $9 * 2
    IntPtrOp $R0 $8 + $9
    System::Call 'kernel32::lstrlenW(p R0) i .r3'
    IntOp $3 $3 + 1
    IntOp $3 $3 * 2
    System::Call 'kernel32::RtlMoveMemory(p r8, p R0, i r3)'
    StrCpy $2 1
  ${EndIf}
  ${If} $2 == 1
    System::Call 'kernel32::lstrlenW(p r6) i .r9'
    IntOp $9 $9 + 1
    IntOp $9 $9 * 2
    System::Call 'advapi32::RegSetValueExW(p r1, w "Path", i 0, i ${REG_EXPAND_SZ}, p r6, i r9) i .r2'
    ${If} $2 != 0
      DetailPrint "$(PathNotChanged)"
    ${EndIf}
  ${EndIf}
  System::Free $6
  System::Call 'advapi32::RegCloseKey(p r1)'
  ; Running programs (Explorer, so new consoles) learn that the environment changed.
  SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=2000
FunctionEnd
!macroend
!insertmacro EDIT_MACHINE_PATH ""
!insertmacro EDIT_MACHINE_PATH "un."

; The program's files: files.txt, the list the MSI is made from too. Calls the macro ACTION with
; each name in LIST (the file's text): the text before a #, without a carriage return, lines
; without a name skipped. scripts/windows.sh and the Wine tests read the list the same way.
!define /file PROGRAM_FILES "files.txt"
!macro EACH_PROGRAM_FILE ACTION LIST
  !searchparse /noerrors `${LIST}` `` _PF_LINE `$\n` _PF_REST
  !ifdef _PF_LINE
    !searchparse /noerrors `${_PF_LINE}` `` _PF_NAME `#`
    !undef _PF_LINE
  !endif
  !ifdef _PF_NAME
    !searchreplace _PF_NAME `${_PF_NAME}` `$\r` ``
    !if `${_PF_NAME}` != ``
      !insertmacro ${ACTION} `${_PF_NAME}`
    !endif
    !undef _PF_NAME
  !endif
  !ifdef _PF_REST
    !define /redef _PF_NEXT `${_PF_REST}`
    !undef _PF_REST
    !insertmacro EACH_PROGRAM_FILE ${ACTION} `${_PF_NEXT}`
  !endif
!macroend
!macro INSTALL_PROGRAM_FILE NAME
  File "${BIN_DIR}/${NAME}"
!macroend
!macro REMOVE_PROGRAM_FILE NAME
  Delete "$INSTDIR\${NAME}"
!macroend

; Appends a line to install.log in the program folder ($INSTDIR exists).
!macro INSTALL_LOG LINE
  FileOpen $9 "$INSTDIR\install.log" a
  FileSeek $9 0 END
  FileWrite $9 `${LINE}$\r$\n`
  FileClose $9
!macroend

; One MSI and one setup program per machine would mean two entries in Programs and Features, the
; folder twice on the PATH and two uninstallers deleting the same files.
Function RefuseBesideMsi
  System::Call 'msi::MsiEnumRelatedProductsW(w "${MSI_UPGRADE_CODE}", i 0, i 0, w .r0) i .r1'
  ${If} $1 == 0
    MessageBox MB_OK|MB_ICONSTOP "$(MsiInstalled)" /SD IDOK
    Abort "$(MsiInstalled)"
  ${EndIf}
FunctionEnd

; Runs icacls with $0 (its arguments after the folder), logs the command, its exit code and
; output to install.log, and leaves the exit code in $1 ("error" when it could not start).
Function RunIcacls
  nsExec::ExecToStack '"$SYSDIR\icacls.exe" "$INSTDIR" $0'
  Pop $1
  Pop $2
  !insertmacro INSTALL_LOG 'ACL: icacls "$INSTDIR" $0: exit code $1 $2'
FunctionEnd

; A per-machine program folder is on the machine PATH, so users must not be able to write to it.
; Outside Program Files (/D=C:\FE2) it would inherit the drive's permissions, under which users
; may create files in new folders, and a folder a user made before belongs to that user. So:
; owner Administrators; SYSTEM and Administrators full control, Users read and execute, nothing
; inherited. Well-known SIDs, so that it works in every language of Windows. Without these
; permissions the install stops before anything goes on the PATH.
Function ProtectProgramFolder
  StrCpy $0 "/setowner *S-1-5-32-544"
  Call RunIcacls
  ${If} $1 == 0
    StrCpy $0 "/inheritance:r /grant:r *S-1-5-18:(OI)(CI)F *S-1-5-32-544:(OI)(CI)F *S-1-5-32-545:(OI)(CI)RX"
    Call RunIcacls
  ${EndIf}
  ${If} $1 != 0
    MessageBox MB_OK|MB_ICONSTOP "$(FolderNotProtected)" /SD IDOK
    Abort "$(FolderNotProtected)"
  ${EndIf}
FunctionEnd

Section "Install"
  ${If} $MultiUser.InstallMode == "AllUsers"
    Call RefuseBesideMsi
  ${EndIf}
  SetOutPath "$INSTDIR"
  ${If} $MultiUser.InstallMode == "AllUsers"
    Call ProtectProgramFolder
  ${EndIf}
  ; The GNU build of the app loads WebView2Loader.dll from beside it (one of the listed files).
  !insertmacro EACH_PROGRAM_FILE INSTALL_PROGRAM_FILE "${PROGRAM_FILES}"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  ; Start menu, with the AppUserModelID (see CreateAppShortcut).
  StrCpy $0 "$SMPROGRAMS\${PRODUCT}.lnk"
  StrCpy $1 "$INSTDIR\${APP_EXE}"
  Call CreateAppShortcut

  ; Uninstall entry (Apps & Features), in the install mode's hive.
  WriteRegStr SHCTX "${PRODUCT_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "DisplayName" "${PRODUCT}"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\${APP_EXE}"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe" /$MultiUser.InstallMode'
  WriteRegStr SHCTX "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /$MultiUser.InstallMode /S'
  WriteRegDWORD SHCTX "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD SHCTX "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD SHCTX "${UNINSTALL_KEY}" "EstimatedSize" $0

  ; Monitoring agents and scripts find the CLI by name on a per-machine install.
  ${If} $MultiUser.InstallMode == "AllUsers"
    StrCpy $0 1
    Call EditMachinePath
  ${EndIf}

  ; WebView2: the window needs it, the CLI does not. The files stay installed either way, so
  ; the app works as soon as the runtime arrives (IT often rolls it out separately).
  Call FindWebView2
  ${If} $WebView2Version == ""
    !insertmacro INSTALL_LOG "WARNING: the Microsoft Edge WebView2 runtime is missing; the app's window needs it (${WEBVIEW2_URL}). fe2-license.exe works without it."
    DetailPrint "WARNING: WebView2 runtime missing (${WEBVIEW2_URL})"
  ${EndIf}
SectionEnd

Section "Uninstall"
  !insertmacro EACH_PROGRAM_FILE REMOVE_PROGRAM_FILE "${PROGRAM_FILES}"
  Delete "$INSTDIR\install.log"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${PRODUCT}.lnk"
  ${If} $MultiUser.InstallMode == "AllUsers"
    StrCpy $0 0
    Call un.EditMachinePath
  ${EndIf}
  DeleteRegKey SHCTX "${UNINSTALL_KEY}"
  DeleteRegKey SHCTX "${PRODUCT_KEY}"
  ; Configuration, cache and the Credential Manager entries are the user's: they stay
  ; (docs/windows.md says how to remove them).
SectionEnd
