<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
<context>
    <name>CaptureSection</name>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="140"/>
        <source>auto, demo, a camera number, a camera name, or an image/video path</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="156"/>
        <source>Fields read with less confidence are marked amber (default 0.60)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="158"/>
        <source>Camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="160"/>
        <source>Give up reading after</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="161"/>
        <source>OCR engine</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="162"/>
        <source>Confidence threshold</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="188"/>
        <source>This session uses --camera {spec}.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Fields</name>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="32"/>
        <source>Document type</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="33"/>
        <source>Document number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="34"/>
        <source>Surname</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="35"/>
        <source>Given names</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="36"/>
        <source>Nationality</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="37"/>
        <source>Issuing country</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="38"/>
        <source>Date of birth</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="39"/>
        <source>Date of expiry</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="40"/>
        <source>Sex</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="41"/>
        <source>Personal number</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="42"/>
        <source>Optional data</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="43"/>
        <source>Whole line</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="44"/>
        <source>Vendor</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="45"/>
        <source>Date</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="46"/>
        <source>Total</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="47"/>
        <source>Tax</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="48"/>
        <source>Subtotal</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="49"/>
        <source>Currency</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="52"/>
        <location filename="../../kiosk/ui/fields.py" line="53"/>
        <source>YYYY-MM-DD</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="54"/>
        <source>YYYY-MM-DD or as printed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="55"/>
        <source>M, F or X</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="56"/>
        <source>e.g. 12.50</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="57"/>
        <source>e.g. 1.12</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="58"/>
        <source>e.g. 11.38</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="59"/>
        <source>e.g. MYR, USD</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="60"/>
        <location filename="../../kiosk/ui/fields.py" line="61"/>
        <source>3 letters, e.g. USA</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="64"/>
        <source>Local</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="65"/>
        <source>OCR service</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="66"/>
        <source>Edited</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="68"/>
        <source>passport</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="68"/>
        <source>receipt</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>FirstRunScreen</name>
    <message>
        <location filename="../../kiosk/ui/screens/first_run.py" line="29"/>
        <source>Welcome: set up this kiosk</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/first_run.py" line="33"/>
        <source>Give the kiosk a name and an admin PIN (it guards the settings). Sync and the OCR service can be set up now or later under Settings.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/first_run.py" line="50"/>
        <source>This kiosk</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/first_run.py" line="53"/>
        <source>Sync</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/first_run.py" line="55"/>
        <source>OCR service (optional)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/first_run.py" line="64"/>
        <source>Save and &amp;start</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/first_run.py" line="110"/>
        <source>Admin PIN: {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/first_run.py" line="114"/>
        <source>Saving…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/first_run.py" line="119"/>
        <source>Not saved: {reason}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>HomeScreen</name>
    <message>
        <location filename="../../kiosk/ui/screens/home.py" line="25"/>
        <source>Scan kiosk</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/home.py" line="34"/>
        <source>Scan &amp;passport</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/home.py" line="35"/>
        <source>Passport, ID card or visa (Alt+P)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/home.py" line="37"/>
        <source>Capture &amp;receipt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/home.py" line="38"/>
        <source>A receipt for an expense (Alt+R)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/home.py" line="44"/>
        <source>Camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/home.py" line="48"/>
        <source>Use the &amp;demo camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/home.py" line="50"/>
        <source>&amp;Open image…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/home.py" line="57"/>
        <source>Sync</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/home.py" line="65"/>
        <source>OCR service</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/home.py" line="83"/>
        <source>Drop an image file anywhere to read it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/home.py" line="84"/>
        <source>&amp;Settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/home.py" line="92"/>
        <source>Kiosk {id}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>KioskSection</name>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="107"/>
        <source>e.g. counter-1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="108"/>
        <source>who works at this kiosk</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="109"/>
        <source>Kiosk id</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="110"/>
        <source>Operator name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="117"/>
        <source>Back to start after</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="119"/>
        <source>Scan kiosk</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="237"/>
        <source>Local OCR ({engine}): loading…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="242"/>
        <source>Local OCR ({engine}): ready</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="250"/>
        <source>Local OCR failed: {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="253"/>
        <source>The local OCR engine could not start: {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="267"/>
        <source>Demo camera: synthetic documents, no real camera.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="270"/>
        <source>No camera found. Connect one, use the demo camera, or open an image file.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="273"/>
        <source>Camera: {name}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="313"/>
        <source>Sync is not running: {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="349"/>
        <source>Sync is off. Records kept on this kiosk: {count}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="351"/>
        <source>Records waiting for {target}: {count}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="353"/>
        <source>Nothing waiting for {target}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="354"/>
        <source>Last sync: {when}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="354"/>
        <source>Last sync: never</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="357"/>
        <source>Records that failed: {count}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="387"/>
        <source>Turned off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="387"/>
        <source>Not set up (Settings, OCR service)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="396"/>
        <source>Up{what} · {ms} ms</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="398"/>
        <source>Not up: status {status}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="400"/>
        <source>Down: {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="430"/>
        <source>Back to the start after a while without input.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="453"/>
        <location filename="../../kiosk/ui/main_window.py" line="489"/>
        <source>Starting the camera…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="460"/>
        <source>No camera found.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="471"/>
        <source>The camera cannot be used: {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="494"/>
        <source>Getting the reader ready…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="509"/>
        <source>No certain read within {seconds:.0f} s ({reason}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="522"/>
        <source>Open image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="522"/>
        <source>Images ({patterns})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="541"/>
        <source>Reading an image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="542"/>
        <source>Reading {name}…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="563"/>
        <source>Could not open {name}: {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="599"/>
        <source>No machine-readable zone read{reason}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="600"/>
        <source>No receipt found{reason}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="607"/>
        <location filename="../../kiosk/ui/main_window.py" line="709"/>
        <source>Asking the OCR service…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="609"/>
        <source>Asking the OCR service ({why})…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="620"/>
        <source>OCR service: {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="634"/>
        <location filename="../../kiosk/ui/main_window.py" line="714"/>
        <location filename="../../kiosk/ui/main_window.py" line="720"/>
        <source>The OCR service could not help: {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="641"/>
        <source>Read with the OCR service: its fields are marked “OCR service”.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="643"/>
        <source>The OCR service found nothing either.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="646"/>
        <source>Could not read the passport</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="646"/>
        <source>Could not read the receipt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="648"/>
        <source>Hold the photo page flat and still, with the two lines of &lt;&lt;&lt; inside the frame and away from glare. Or open a photo of the page.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="650"/>
        <source>Lay the receipt flat, fully in view, in even light. Or open a photo of it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="672"/>
        <source>This read is not certain: compare every field with the document.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="683"/>
        <source>Type the fields in from the document.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="716"/>
        <source>Merged with the OCR service&apos;s read: its fields are marked “OCR service”.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="740"/>
        <source>Saving…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="754"/>
        <source>Saved on this kiosk (sync is off).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="756"/>
        <source>Saved. The record is queued for sync.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="760"/>
        <source>NOT saved: {reason}. The record is still here: try again.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="785"/>
        <location filename="../../kiosk/ui/main_window.py" line="815"/>
        <source>The PIN cannot be checked: {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="794"/>
        <source>Too many wrong PINs: try again in {seconds} s.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="804"/>
        <source>Wrong PIN. Locked for {seconds} s.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="806"/>
        <source>Wrong PIN.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="857"/>
        <source>Settings saved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/main_window.py" line="866"/>
        <source>This kiosk is set up.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Mark</name>
    <message>
        <location filename="../../kiosk/ui/widgets.py" line="113"/>
        <source>check digit not known</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/widgets.py" line="115"/>
        <source>check digit holds</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/widgets.py" line="117"/>
        <source>check digit fails</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PinFields</name>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="380"/>
        <source>4 to 12 digits</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="380"/>
        <source>leave empty to keep the PIN</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="381"/>
        <source>the same again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="385"/>
        <source>New admin PIN</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="385"/>
        <source>Admin PIN</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="386"/>
        <source>Repeat the PIN</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PinPad</name>
    <message>
        <location filename="../../kiosk/ui/widgets.py" line="232"/>
        <source>Enter the admin PIN</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/widgets.py" line="249"/>
        <source>Erase</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/widgets.py" line="253"/>
        <source>OK</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/widgets.py" line="259"/>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PinScreen</name>
    <message>
        <location filename="../../kiosk/ui/screens/pin_gate.py" line="20"/>
        <location filename="../../kiosk/ui/screens/pin_gate.py" line="34"/>
        <source>Settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/pin_gate.py" line="34"/>
        <source>Leave kiosk mode</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/pin_gate.py" line="41"/>
        <source>Checking…</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Preview</name>
    <message>
        <location filename="../../kiosk/ui/widgets.py" line="199"/>
        <source>Machine-readable zone here</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/widgets.py" line="199"/>
        <source>Receipt here</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>RemoteSection</name>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="217"/>
        <source>Off: never</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="218"/>
        <source>Manual: when the operator asks</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="219"/>
        <source>Automatic: also when the local read fails</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="225"/>
        <source>Service URL</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="226"/>
        <source>Token</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="228"/>
        <source>Use the service</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ReviewScreen</name>
    <message>
        <location filename="../../kiosk/ui/screens/review.py" line="100"/>
        <source>The part of the image the fields were read from</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/review.py" line="105"/>
        <source>Whole-line check digit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/review.py" line="140"/>
        <location filename="../../kiosk/ui/screens/review.py" line="404"/>
        <source>&amp;Confirm</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/review.py" line="141"/>
        <source>Store the record (Ctrl+Enter)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/review.py" line="143"/>
        <source>&amp;Rescan</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/review.py" line="145"/>
        <source>Try OCR &amp;service</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/review.py" line="147"/>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/review.py" line="148"/>
        <source>Discard and go back to the start (Esc)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/review.py" line="180"/>
        <source>Check the passport</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/review.py" line="180"/>
        <source>Check the receipt</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/review.py" line="188"/>
        <source>No picture</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/review.py" line="190"/>
        <source>Confidence: green ≥ {threshold:.0%} · amber below · red: a check fails · ✓ ✗ check digits · type in a field to correct it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/review.py" line="192"/>
        <source>Confidence: green ≥ {threshold:.0%} · amber below · red: not valid · type in a field to correct it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/review.py" line="343"/>
        <source>fix</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/review.py" line="352"/>
        <source>confident</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/review.py" line="352"/>
        <source>check it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/review.py" line="352"/>
        <source>problem</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/review.py" line="352"/>
        <source>not read</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/review.py" line="353"/>
        <source>Confidence {value}: {state}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/review.py" line="382"/>
        <source>Fix the marked fields before confirming.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/review.py" line="385"/>
        <source>Check digit fails: {fields}. Compare with the document.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/review.py" line="388"/>
        <source>All check digits hold.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/review.py" line="391"/>
        <source>No check digits: compare every field with the document.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/review.py" line="394"/>
        <source>Vendor, date and total read. Compare them with the receipt.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/review.py" line="397"/>
        <source>Some fields are missing: fill them in from the receipt.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/review.py" line="401"/>
        <source>&amp;Confirm anyway</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ScanScreen</name>
    <message>
        <location filename="../../kiosk/ui/screens/scan.py" line="37"/>
        <source>Time left</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/scan.py" line="64"/>
        <source>Looking</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/scan.py" line="65"/>
        <source>In view</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/scan.py" line="66"/>
        <source>Steady</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/scan.py" line="67"/>
        <location filename="../../kiosk/ui/screens/scan.py" line="80"/>
        <source>Reading</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/scan.py" line="68"/>
        <source>Done</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/scan.py" line="84"/>
        <location filename="../../kiosk/ui/screens/scan.py" line="111"/>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/scan.py" line="85"/>
        <source>Back to the start (Esc)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/scan.py" line="87"/>
        <location filename="../../kiosk/ui/screens/scan.py" line="172"/>
        <source>&amp;Open image…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/scan.py" line="89"/>
        <location filename="../../kiosk/ui/screens/scan.py" line="170"/>
        <source>Use the &amp;demo camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/scan.py" line="138"/>
        <source>Scan &amp;again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/scan.py" line="140"/>
        <source>Try OCR &amp;service</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/scan.py" line="142"/>
        <source>&amp;Check what was read</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/scan.py" line="144"/>
        <source>&amp;Type it in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/scan.py" line="146"/>
        <location filename="../../kiosk/ui/screens/scan.py" line="174"/>
        <source>Home</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/scan.py" line="167"/>
        <source>Use the demo camera, or open an image file of the document.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/scan.py" line="187"/>
        <source>Scan passport</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/scan.py" line="187"/>
        <source>Capture receipt</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SecretEdit</name>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="65"/>
        <source>stored ({source}) - type to replace</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="67"/>
        <source>no keyring on this machine</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="69"/>
        <source>not set</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SettingsScreen</name>
    <message>
        <location filename="../../kiosk/ui/screens/settings.py" line="45"/>
        <source>Settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/settings.py" line="55"/>
        <source>Admin PIN</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/settings.py" line="71"/>
        <source>Kiosk</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/settings.py" line="72"/>
        <source>Camera and OCR</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/settings.py" line="73"/>
        <source>OCR service</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/settings.py" line="74"/>
        <source>Sync</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/settings.py" line="79"/>
        <source>&amp;Save</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/settings.py" line="81"/>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/settings.py" line="83"/>
        <source>&amp;Leave kiosk mode</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/settings.py" line="85"/>
        <source>&amp;Quit the app</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/settings.py" line="108"/>
        <source>No admin PIN is set yet: choose one below, then Save.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/settings.py" line="150"/>
        <location filename="../../kiosk/ui/screens/settings.py" line="158"/>
        <location filename="../../kiosk/ui/screens/settings.py" line="169"/>
        <source>Not saved: {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/settings.py" line="164"/>
        <source>Saving…</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SyncSection</name>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="261"/>
        <source>None (keep records on this kiosk)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="264"/>
        <source>Send records to</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="280"/>
        <source>the login&apos;s employee</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="285"/>
        <source>none</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="286"/>
        <source>Odoo URL</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="287"/>
        <source>Database</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="288"/>
        <source>Login</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="289"/>
        <source>Password or API key</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="291"/>
        <source>Employee id</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="292"/>
        <source>Expense product id</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="299"/>
        <source>GreenPay URL</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="300"/>
        <source>Token</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="313"/>
        <source> days</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="314"/>
        <source>Keep document images (receipts for Odoo always keep theirs)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="317"/>
        <source>Delete sent records after</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>TestRow</name>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="81"/>
        <source>Test connection</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/screens/forms.py" line="90"/>
        <source>Testing…</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>Validation</name>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="71"/>
        <source>Required</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="72"/>
        <source>Not a date: use YYYY-MM-DD</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="73"/>
        <source>The date of birth is in the future</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="74"/>
        <source>Use the 3-letter ICAO code, e.g. USA or D</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="75"/>
        <source>Use M, F or X</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="76"/>
        <source>Only letters A-Z and digits</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="77"/>
        <source>Only letters, spaces, hyphens and apostrophes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="78"/>
        <source>One or two letters, e.g. P or ID</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="79"/>
        <source>Not an amount, e.g. 12.50</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="80"/>
        <source>The amount cannot be negative</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="81"/>
        <source>Use a currency code such as MYR or USD</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <location filename="../../kiosk/ui/fields.py" line="82"/>
        <source>Too long</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
