"""The China Customs CBEC message standard (CEB, 202205 edition) as code: the field rules read from
the official XSDs (``schema``, ``xsd``), one codec for every message (``messages``), the DxpMsg
envelope (``envelope``) and the enveloped XML signature (``signing``). Pure: no database; the
only files read are the official schemas. Intake reads partners' CEB XML with it, customs builds
declarations and reads receipts with it, the sandbox plays customs with it."""
