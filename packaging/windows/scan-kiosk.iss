; Inno Setup 6 script: the Windows installer of the scan kiosk.
;
; Build on Windows (it cannot be built on the Linux build machine):
;   1. Python 3.11 x64, then in the repository:
;        py -3.11 -m venv .venv
;        .venv\Scripts\python -m pip install -e ".[package]"
;        .venv\Scripts\python -m pip install --no-deps -r requirements\no-deps.txt
;   2. Fonts for the demo camera: put OCRB.otf, DejaVuSans.ttf and DejaVuSansMono.ttf
;      (and their licence texts) into resources\fonts\ (the spec looks there first).
;   3. The bundle (windowed scan-kiosk.exe and console scan-kiosk-cli.exe):
;        .venv\Scripts\pyinstaller --noconfirm --distpath dist\windows --workpath build\pyinstaller-windows packaging\kiosk.spec
;        dist\windows\scan-kiosk\scan-kiosk-cli.exe --self-test
;   4. The installer:  "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" /DAppVersion=0.1.0 packaging\windows\scan-kiosk.iss
;      -> dist\scan-kiosk-setup-0.1.0.exe
;
; Unattended install on a kiosk PC, with autostart and the kiosk shortcut:
;   scan-kiosk-setup-0.1.0.exe /VERYSILENT /SUPPRESSMSGBOXES /TASKS="autostart,kioskshortcut"

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "Scan kiosk"
#define AppExe "scan-kiosk.exe"
#define CliExe "scan-kiosk-cli.exe"
#define BundleDir "..\..\dist\windows\scan-kiosk"

[Setup]
AppId={{409C5094-7E1C-4AEB-B4BF-A0C53E4D26BA}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Scan kiosk maintainers
DefaultDirName={autopf}\Scan kiosk
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
LicenseFile=..\..\LICENSE
OutputDir=..\..\dist
OutputBaseFilename=scan-kiosk-setup-{#AppVersion}
Compression=lzma2/max
SolidCompression=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
PrivilegesRequired=admin
WizardStyle=modern
UninstallDisplayIcon={app}\{#AppExe}
CloseApplications=yes
RestartApplications=no

[Tasks]
Name: "desktopicon"; Description: "A desktop shortcut"; GroupDescription: "Shortcuts:"
Name: "kioskshortcut"; Description: "A kiosk shortcut on the public desktop (full screen; leaving needs the admin PIN)"; GroupDescription: "Kiosk mode:"; Flags: unchecked
Name: "autostart"; Description: "Start the scan kiosk in kiosk mode when anyone logs in"; GroupDescription: "Kiosk mode:"; Flags: unchecked

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"
Name: "{group}\{#AppName} self-test"; Filename: "{cmd}"; Parameters: "/k ""{app}\{#CliExe}"" --self-test"; WorkingDir: "{app}"
Name: "{group}\Uninstall {#AppName}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Tasks: desktopicon
Name: "{commondesktop}\{#AppName} (kiosk)"; Filename: "{app}\{#AppExe}"; Parameters: "--kiosk"; WorkingDir: "{app}"; Tasks: kioskshortcut
Name: "{commonstartup}\{#AppName}"; Filename: "{app}\{#AppExe}"; Parameters: "--kiosk"; WorkingDir: "{app}"; Tasks: autostart

[Run]
Filename: "{app}\{#AppExe}"; Description: "Start the scan kiosk now"; Flags: postinstall nowait skipifsilent

[UninstallDelete]
Type: filesandordirs; Name: "{app}\_internal\__pycache__"

[Code]
{ The installed app checks itself (engines, models, a sample passport and receipt, no network)
  before the wizard ends; a failure is shown (and logged with /LOG) but does not roll back. }
procedure CurStepChanged(CurStep: TSetupStep);
var
  ResultCode: Integer;
begin
  if CurStep = ssPostInstall then
  begin
    WizardForm.StatusLabel.Caption := 'Checking the installation (OCR self-test)...';
    if not Exec(ExpandConstant('{app}\{#CliExe}'), '--self-test', ExpandConstant('{app}'), SW_HIDE,
                ewWaitUntilTerminated, ResultCode) or (ResultCode <> 0) then
    begin
      Log('scan-kiosk self-test failed, exit code ' + IntToStr(ResultCode));
      SuppressibleMsgBox('The scan kiosk self-test failed (exit code ' + IntToStr(ResultCode) + ').' + #13#10 +
        'Run "Scan kiosk self-test" from the Start menu to see why.', mbError, MB_OK, IDOK);
    end
    else
      Log('scan-kiosk self-test passed');
  end;
end;
