; Inno Setup 6 script of the lrpstudio Windows installer (per-user, no admin rights).
;
; Build steps on Windows (PowerShell, Python 3.11 x64, from the repository root):
;   py -3.11 -m venv packaging\build\venv
;   packaging\build\venv\Scripts\python -m pip install torch==2.14.1 torchvision==0.29.1
;   packaging\build\venv\Scripts\python -m pip install ".[package]" torch==2.14.1 torchvision==0.29.1
;   packaging\build\venv\Scripts\python packaging\make_icons.py
;   $env:LRPSTUDIO_WINDOWED = "1"    # no console window; stdout/stderr go to console.log
;   packaging\build\venv\Scripts\python -m PyInstaller --noconfirm --clean `
;       --distpath packaging\dist --workpath packaging\build\work packaging\lrpstudio.spec
;   $env:QT_QPA_PLATFORM = "offscreen"
;   packaging\dist\lrpstudio\lrpstudio.exe --self-test --report packaging\build\selftest.json
;   (a windowed .exe prints nothing: check the exit code with `echo $LASTEXITCODE`, and
;    read the report)
;   iscc packaging\windows\lrpstudio.iss      -> packaging\dist\lrpstudio-0.1.0-setup.exe
;
; Paths below are relative to this file (Inno Setup's SourcePath).

#define AppName "lrpstudio"
#define AppVersion "0.1.0"
#define AppPublisher "lrpstudio"
#define BundleDir "..\dist\lrpstudio"

[Setup]
; A fixed AppId lets a later version upgrade this one in place; never change it.
AppId={{6E0B2C55-3F0B-4C1C-9A57-7A1D3C8E4B21}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher={#AppPublisher}
DefaultDirName={localappdata}\Programs\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\dist
OutputBaseFilename={#AppName}-{#AppVersion}-setup
SetupIconFile=..\build\icons\lrpstudio.ico
UninstallDisplayIcon={app}\lrpstudio.exe
; torch makes the bundle large: LZMA2 solid compression, but a 64-bit setup with slices
; is not needed below 4 GB per file.
Compression=lzma2/normal
SolidCompression=yes
DiskSpanning=no
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole one-folder bundle; `ignoreversion` because torch/Qt DLLs carry no useful
; version resources and must always be replaced on upgrade.
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An upgrade must not leave DLLs of an older torch/Qt beside the new ones.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\lrpstudio.exe"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\lrpstudio.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\lrpstudio.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent
